/**
 * Proof that a Discord user owns a Roblox account: we show a one-time phrase, they put it in the
 * profile's About text (which only the owner can edit), and we look for it there.
 *
 * Roblox's text filter replaces words it dislikes with '#'s. Plain nature words and a short code
 * keep that unlikely; when it happens anyway, a filtered phrase must not count as found, and the
 * user is told to get a new phrase rather than to retype the old one.
 */

/** Uniform numbers in [0, 1). Use a cryptographic source in production: the phrase is a secret until linked. */
export type RandomSource = () => number;

export const PHRASE_PREFIX = "rankbridge:";

/** Everyday words unlikely to trip a text filter, and unlikely to combine into anything rude. */
export const PHRASE_WORDS: readonly string[] = Object.freeze([
  "acorn", "amber", "anchor", "apple", "aspen", "autumn", "badger", "bamboo",
  "basil", "beacon", "birch", "bison", "bloom", "breeze", "brook", "cabin",
  "cactus", "canoe", "canyon", "cedar", "cherry", "cinder", "clover", "cobalt",
  "comet", "copper", "coral", "cotton", "crystal", "daisy", "dawn", "delta",
  "desert", "dune", "eagle", "echo", "ember", "falcon", "fern", "field",
  "flint", "forest", "frost", "garden", "glacier", "granite", "harbor", "harp",
  "hazel", "heron", "hill", "honey", "island", "ivy", "jade", "jasper",
  "juniper", "kettle", "lagoon", "lake", "lantern", "larch", "lark", "lemon",
  "lilac", "linen", "lotus", "maple", "marble", "meadow", "melon", "mint",
  "moss", "mountain", "nectar", "north", "oak", "ocean", "olive", "orbit",
  "orchid", "otter", "owl", "palm", "pebble", "pepper", "pine", "planet",
  "plum", "pond", "poppy", "prairie", "quartz", "rain", "raven", "reef",
  "ridge", "river", "robin", "saffron", "sage", "sail", "shore", "silver",
  "sky", "slate", "snow", "sparrow", "spruce", "star", "stone", "summit",
  "sun", "swan", "thunder", "tide", "timber", "topaz", "tulip", "valley",
  "velvet", "violet", "walnut", "willow", "wind", "winter", "wren", "zephyr",
]);

/** No 0/O, 1/I/L: the code is read off a screen and typed or pasted. */
export const CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

export interface LinkPhrase {
  /** What the user pastes, e.g. "rankbridge: amber falcon river otter 7Q2K". */
  readonly text: string;
  readonly words: readonly string[];
  readonly code: string;
}

export function generateLinkPhrase(random: RandomSource, options: { readonly wordCount?: number; readonly codeLength?: number } = {}): LinkPhrase {
  const wordCount = options.wordCount ?? 4;
  const codeLength = options.codeLength ?? 4;
  if (!Number.isInteger(wordCount) || wordCount < 2) throw new RangeError("a link phrase needs at least 2 words");
  if (!Number.isInteger(codeLength) || codeLength < 0) throw new RangeError("code length must be a whole number");
  const words = Array.from({ length: wordCount }, () => pick(PHRASE_WORDS, random));
  const code = Array.from({ length: codeLength }, () => pick(CODE_ALPHABET, random)).join("");
  const body = [...words, code].filter((part) => part !== "").join(" ");
  return { text: `${PHRASE_PREFIX} ${body}`, words, code };
}

function pick<T>(choices: ArrayLike<T>, random: RandomSource): T {
  const value = random();
  if (!(value >= 0 && value < 1)) throw new RangeError(`random source must return a number in [0, 1), got ${value}`);
  return choices[Math.floor(value * choices.length)]!;
}

export type PhraseCheck =
  | { readonly status: "found" }
  /** The phrase is there but Roblox's filter hid part of it: a new phrase is needed. */
  | { readonly status: "filtered" }
  | { readonly status: "missing" };

/**
 * Looks for `phrase` (a LinkPhrase text) in a profile's About text. Case, line breaks and runs of
 * spaces do not matter, and the "rankbridge:" prefix is optional: the words and code are the proof.
 */
export function checkProfileForPhrase(aboutText: string | null | undefined, phrase: string): PhraseCheck {
  const body = phraseBody(phrase);
  if (body === "") throw new RangeError("the phrase to look for is empty");
  const about = normalise(aboutText ?? "");
  if (containsAsWords(about, body)) return { status: "found" };
  if (about.includes("#") && hasFilteredCopy(about, body)) {
    return { status: "filtered" };
  }
  return { status: "missing" };
}

function phraseBody(phrase: string): string {
  const text = normalise(phrase);
  return text.startsWith(PHRASE_PREFIX) ? text.slice(PHRASE_PREFIX.length).trim() : text;
}

function normalise(text: string): string {
  return text
    .normalize("NFKC")
    .replace(/[\u200B-\u200D\u2060\uFEFF]/g, "")
    .toLowerCase()
    .replace(/\s+/g, " ")
    .trim();
}

/** Whole-word containment, so "amber falcon river otter 7q2k" is not matched inside "7q2kx". */
function containsAsWords(haystack: string, needle: string): boolean {
  return new RegExp(`(?:^|[^\\p{L}\\p{N}])${escapeRegExp(needle)}(?:$|[^\\p{L}\\p{N}])`, "u").test(haystack);
}

/**
 * True when the About holds the phrase with words hidden by Roblox's filter: a word may appear as
 * "######" (one run can swallow several words and the spaces between them) or with some of its
 * letters turned to '#'. At least one word must be hidden (an intact copy is not "filtered") and
 * at least one must survive, so a decorative "#####" line is not mistaken for the phrase.
 */
function hasFilteredCopy(about: string, body: string): boolean {
  const words = body.split(" ");
  const tokens = about.split(" ").map((token) => token.replace(/^[^\p{L}\p{N}#]+|[^\p{L}\p{N}#]+$/gu, ""));
  for (let start = 0; start < tokens.length; start++) {
    if (matchFrom(tokens, start, words, 0, { hidden: false, intact: false })) return true;
  }
  return false;
}

/** Walks the phrase's words along the About's tokens, from `tokenIndex` and `wordIndex` on. */
function matchFrom(
  tokens: readonly string[],
  tokenIndex: number,
  words: readonly string[],
  wordIndex: number,
  seen: { readonly hidden: boolean; readonly intact: boolean },
): boolean {
  if (wordIndex === words.length) return seen.hidden && seen.intact;
  const token = tokens[tokenIndex];
  const word = words[wordIndex]!;
  if (token === undefined) return false;
  if (token === word) return matchFrom(tokens, tokenIndex + 1, words, wordIndex + 1, { ...seen, intact: true });
  if (/^#+$/.test(token)) {
    for (let covered = 1; wordIndex + covered <= words.length; covered++) {
      if (matchFrom(tokens, tokenIndex + 1, words, wordIndex + covered, { ...seen, hidden: true })) return true;
    }
    return false;
  }
  const partlyHidden = token.length === word.length && token.includes("#") && [...token].every((char, i) => char === "#" || char === word[i]);
  return partlyHidden && matchFrom(tokens, tokenIndex + 1, words, wordIndex + 1, { ...seen, hidden: true });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
