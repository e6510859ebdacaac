/** Dates as people read them where no client localises them for us (web pages, logs, plain text). */

const UTC_DATE_TIME = new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });

/** "6 January 2027, 14:03 UTC". */
export function formatUtcDateTime(epochMs: number): string {
  const parts = Object.fromEntries(UTC_DATE_TIME.formatToParts(new Date(epochMs)).map((part) => [part.type, part.value]));
  return `${parts.day} ${parts.month} ${parts.year}, ${parts.hour}:${parts.minute} UTC`;
}
