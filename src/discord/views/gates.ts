/** What admins and members read about the gates (design §3.1): the minimum account age and the group lock. */
import { MAX_ACCOUNT_AGE_DAYS, MIN_ACCOUNT_AGE_DAYS } from "../../ranks/account-age.ts";

export function dayCount(days: number): string {
  return days === 1 ? "1 day" : `${days} days`;
}

export const minAccountAgeWording = {
  optionDescription: `Minimum account age in days (0 turns it off, at most ${MAX_ACCOUNT_AGE_DAYS})`,
  invalid: `The minimum account age is a whole number of days from ${MIN_ACCOUNT_AGE_DAYS} (off) to ${MAX_ACCOUNT_AGE_DAYS}. Nothing was changed.`,
  audit: (days: number) => (days > 0 ? `Minimum Roblox account age set to ${dayCount(days)}` : "Minimum Roblox account age turned off"),
  reply: (days: number) =>
    days > 0
      ? `Roblox accounts younger than **${dayCount(days)}** can no longer link here; they are told the date they can. Members already linked keep their link.`
      : "Any Roblox account can link here again (no minimum account age).",
  field: (days: number) => ({ name: "Minimum Roblox account age", value: days > 0 ? `${dayCount(days)} to link` : "off", inline: true }),
};
