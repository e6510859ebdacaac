import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { describeLinkingError } from "../../src/discord/views/linking-errors.ts";
import { describeLadderError } from "../../src/discord/views/rank-rules.ts";
import { quotedInput } from "../../src/lib/quoted-input.ts";
import { LinkingError } from "../../src/services/linking-errors.ts";
import { LogRedactor } from "../../src/observability/log-redaction.ts";
import { AmbiguousRankError, formatRank, UnknownRankError } from "../../src/ranks/ladder.ts";
import { checkProfileForPhrase, generateLinkPhrase } from "../../src/ranks/link-phrase.ts";
import { parseRateLimitHeaders, parseRetryAfter } from "../../src/roblox/rate-limit-headers.ts";
import { DurationOutOfRangeError, InvalidDurationError, parseDuration } from "../../src/sync/schedule.ts";
import { militaryLadder, RANKS } from "../domain/fixtures.ts";
import { hostileString, unclearReason } from "./hostile-input.ts";

/** The pure parsers, thousands of random and hostile inputs each: an answer or a typed refusal, never anything else. */
const RUNS = Number(process.env.PROPERTY_RUNS_PURE ?? 2_000);
/** A few seconds a property on two cores; the default 5 s is for single examples. */
const TIMEOUT_MS = 30_000;
const MINUTE = 60_000;
const DAY = 86_400_000;

describe("parseDuration (sync interval)", () => {
  test("any text: a whole number of milliseconds within bounds, or a typed refusal that reads well", () => {
    fc.assert(
      fc.property(hostileString(), (input) => {
        try {
          const ms = parseDuration(input, { min: MINUTE, max: 7 * DAY });
          expect(Number.isSafeInteger(ms)).toBe(true);
          expect(ms).toBeGreaterThanOrEqual(MINUTE);
          expect(ms).toBeLessThanOrEqual(7 * DAY);
        } catch (error) {
          if (!(error instanceof InvalidDurationError || error instanceof DurationOutOfRangeError)) throw error;
          expect(unclearReason(error.message, [input])).toBeNull();
          expect(error.message.length).toBeLessThan(300);
        }
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT_MS);

  test("a well-formed duration is the sum of its parts, however it is spaced or cased", () => {
    const part = (unit: string) => fc.option(fc.integer({ min: 0, max: 400 }).map((n) => `${n}${unit}`), { nil: undefined });
    fc.assert(
      fc.property(part("d"), part("h"), part("m"), part("s"), fc.boolean(), fc.boolean(), (d, h, m, s, spaced, upper) => {
        const parts = [d, h, m, s].filter((x): x is string => x !== undefined);
        fc.pre(parts.length > 0);
        const expected = parts.reduce((sum, text) => sum + Number.parseInt(text, 10) * { d: DAY, h: 3_600_000, m: MINUTE, s: 1_000 }[text.at(-1) as "d"], 0);
        fc.pre(expected > 0);
        const text = parts.join(spaced ? " " : "");
        expect(parseDuration(` ${upper ? text.toUpperCase() : text} `)).toBe(expected);
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT_MS);
});

describe("rank names (/set-rank, /ranks bind and edit, /config sync-ranks)", () => {
  const ladder = militaryLadder();
  const names = Object.values(RANKS).map((rank) => rank.name);

  test("any text resolves to a rank of the ladder or is refused with a short, clear message", () => {
    fc.assert(
      fc.property(hostileString(6_000, names), (input) => {
        try {
          const rank = ladder.resolveName(input);
          expect(names).toContain(rank.name);
        } catch (error) {
          if (!(error instanceof UnknownRankError || error instanceof AmbiguousRankError)) throw error;
          // What the admin reads is the view's sentence; the error's own message is for logs.
          const refusal = describeLadderError(error)!;
          expect(unclearReason(refusal, [input])).toBeNull();
          expect(refusal.length).toBeLessThan(400);
          expect(error.message.length).toBeLessThan(400);
        }
        expect(ladder.suggest(input).length).toBeLessThanOrEqual(3);
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT_MS);

  test("every rank is found by its name and by its label, whatever the case and spacing", () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.values(RANKS)), fc.boolean(), fc.constantFrom("", " ", "  "), (rank, label, pad) => {
        const text = label ? formatRank(rank) : rank.name;
        expect(ladder.resolveName(`${pad}${text.toUpperCase()}${pad}`).id).toBe(rank.id);
      }),
      { numRuns: 500 },
    );
  }, TIMEOUT_MS);
});

describe("the link phrase in a Roblox About", () => {
  const phraseArb: fc.Arbitrary<string> = fc.integer({ min: 0, max: 2 ** 31 }).map((seed) => {
    let state = seed;
    return generateLinkPhrase(() => {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      return state / 2 ** 31;
    }).text;
  });

  test("any About text: found, filtered or missing, never an error", () => {
    fc.assert(
      fc.property(fc.oneof(hostileString(1_000), fc.string({ unit: fc.constantFrom("#", " ", "a", "\n"), maxLength: 1_000 })), phraseArb, (about, phrase) => {
        const check = checkProfileForPhrase(about, phrase);
        expect(["found", "filtered", "missing"]).toContain(check.status);
        if (check.status !== "found") {
          const hint = describeLinkingError(new LinkingError(check.status === "filtered" ? "phrase-filtered" : "phrase-missing"));
          expect(unclearReason(hint)).toBeNull();
        }
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT_MS);

  test("the phrase pasted anywhere, with any case and line breaks around it, is found", () => {
    fc.assert(
      fc.property(hostileString(300), hostileString(300), phraseArb, fc.boolean(), (before, after, phrase, upper) => {
        const about = `${before}\n${upper ? phrase.toUpperCase() : phrase}\n${after}`;
        expect(checkProfileForPhrase(about, phrase).status).toBe("found");
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT_MS);
});

describe("what comes back from servers and goes to logs", () => {
  test("rate-limit headers of any content parse to finite, non-negative numbers or nothing", () => {
    fc.assert(
      fc.property(hostileString(200), hostileString(200), hostileString(200), hostileString(60), (limit, remaining, reset, retryAfter) => {
        // What a header can carry at all: Latin-1 without line breaks or NUL.
        // biome-ignore lint/suspicious/noControlCharactersInRegex: the range starts just above NUL on purpose, the one character a header cannot carry
        const header = (text: string) => text.replace(/[^\u0001-\u00ff]|[\r\n]/g, "");
        const parsed = parseRateLimitHeaders(new Headers({ "x-ratelimit-limit": header(limit), "x-ratelimit-remaining": header(remaining), "x-ratelimit-reset": header(reset) }));
        for (const value of [parsed.limit, parsed.remaining, parsed.resetMs, parsed.windowMs]) {
          if (value !== undefined) expect(Number.isFinite(value) && value >= 0).toBe(true);
        }
        const wait = parseRetryAfter(retryAfter, 0);
        if (wait !== undefined) expect(Number.isFinite(wait) && wait >= 0).toBe(true);
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT_MS);

  test("the log redactor takes any value and returns one JSON can write", () => {
    const redactor = new LogRedactor(["a-secret-value-123"]);
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true, maxDepth: 6 }), (value) => {
        expect(() => JSON.stringify(redactor.redact(value))).not.toThrow();
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT_MS);

  test("quoted input is short and has no control characters", () => {
    fc.assert(
      fc.property(hostileString(), (input) => {
        const quoted = quotedInput(input);
        expect(Array.from(quoted).length).toBeLessThanOrEqual(82);
        expect(/[\p{Cc}\p{Cf}]/u.test(quoted)).toBe(false);
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT_MS);
});
