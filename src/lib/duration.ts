/**
 * Durations as operators write them ("45s", "30m", "6h", "1d", also combined as "1h30m") and as
 * replies show them. Shared by the configuration (SYNC_INTERVAL, SHUTDOWN_GRACE) and the sync
 * schedule, so neither imports the other.
 */
import { quotedInput } from "./quoted-input.ts";

export class InvalidDurationError extends Error {
  override readonly name = "InvalidDurationError";
  constructor(
    readonly input: string,
    detail: string,
  ) {
    super(`${quotedInput(input)} is not a valid duration: ${detail}. Use a number and a unit, like 45s, 30m, 6h or 1d.`);
  }
}

export class DurationOutOfRangeError extends Error {
  override readonly name = "DurationOutOfRangeError";
  constructor(
    readonly input: string,
    readonly min: number | undefined,
    readonly max: number | undefined,
  ) {
    const bounds = [min !== undefined ? `at least ${formatDuration(min)}` : null, max !== undefined ? `at most ${formatDuration(max)}` : null]
      .filter((bound) => bound !== null)
      .join(" and ");
    super(`${quotedInput(input)} is out of range: it must be ${bounds}.`);
  }
}

/** "1d 23h 59m 59s" is 14 characters; anything much longer is not a duration. */
const MAX_DURATION_LENGTH = 40;

export const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof UNIT_MS;


/**
 * Milliseconds in a duration such as "45s", "30m", "6h", "1d" or "1h30m". Case and surrounding
 * spaces are ignored; units may not repeat or go from small to large ("30m1h" is rejected, as a typo
 * is likelier than intent).
 * @throws InvalidDurationError, DurationOutOfRangeError (when bounds are given)
 */
export function parseDuration(input: string, bounds: { readonly min?: number; readonly max?: number } = {}): number {
  const text = input.trim().toLowerCase();
  if (text === "") throw new InvalidDurationError(input, "it is empty");
  // Refused before the pattern runs, whose backtracking grows with the square of a digit run's length.
  if (text.length > MAX_DURATION_LENGTH) throw new InvalidDurationError(input, "it is too long");
  const parts = [...text.matchAll(/(\d+)\s*([a-z]+)\s*/g)];
  if (parts.map((part) => part[0]).join("") !== text) {
    throw new InvalidDurationError(input, /^\d+$/.test(text) ? "the unit is missing" : "it has unexpected characters");
  }
  let total = 0;
  let previousUnitMs = Number.POSITIVE_INFINITY;
  for (const [, digits, unit] of parts) {
    if (!isUnit(unit!)) throw new InvalidDurationError(input, `"${unit}" is not a unit (s, m, h or d)`);
    const unitMs = UNIT_MS[unit];
    if (unitMs >= previousUnitMs) throw new InvalidDurationError(input, "units must go from largest to smallest, each once");
    previousUnitMs = unitMs;
    total += Number(digits) * unitMs;
  }
  if (total <= 0) throw new InvalidDurationError(input, "it must be longer than zero");
  if (!Number.isSafeInteger(total)) throw new InvalidDurationError(input, "it is too long");
  if ((bounds.min !== undefined && total < bounds.min) || (bounds.max !== undefined && total > bounds.max)) {
    throw new DurationOutOfRangeError(input, bounds.min, bounds.max);
  }
  return total;
}

function isUnit(text: string): text is Unit {
  return Object.hasOwn(UNIT_MS, text);
}

/** "1d 6h", "30m", "1m 5s", "0s": the largest two units, for status replies and ETAs. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const units: [Unit, number][] = [
    ["d", Math.floor(seconds / 86_400)],
    ["h", Math.floor((seconds % 86_400) / 3_600)],
    ["m", Math.floor((seconds % 3_600) / 60)],
    ["s", seconds % 60],
  ];
  const first = units.findIndex(([, amount]) => amount > 0);
  if (first === -1) return "0s";
  return units
    .slice(first, first + 2)
    .filter(([, amount]) => amount > 0)
    .map(([unit, amount]) => `${amount}${unit}`)
    .join(" ");
}
