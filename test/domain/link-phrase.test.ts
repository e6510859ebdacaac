import { describe, expect, test } from "bun:test";
import { CODE_ALPHABET, PHRASE_PREFIX, PHRASE_WORDS, checkProfileForPhrase, generateLinkPhrase, type PhraseCheck } from "../../src/ranks/link-phrase.ts";
import { describeLinkingError } from "../../src/discord/views/linking-errors.ts";
import { LinkingError } from "../../src/services/linking-errors.ts";

/** What the member reads in Discord for a check that found no phrase. */
const hintFor = (result: PhraseCheck) =>
  result.status === "found" ? "" : describeLinkingError(new LinkingError(result.status === "filtered" ? "phrase-filtered" : "phrase-missing"));

/** Plays back fixed values, so the picked words are known. */
function sequence(...values: number[]): () => number {
  let index = 0;
  return () => values[index++ % values.length]!;
}

function seeded(seed: number): () => number {
  return () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
}

describe("generating a phrase", () => {
  test("picks words and code from the injected randomness", () => {
    const phrase = generateLinkPhrase(sequence(0, 0.5, 0.999, 0.25, 0, 0.1, 0.5, 0.99));
    expect(phrase.words).toEqual(["acorn", "lilac", "zephyr", "desert"]);
    expect(phrase.code).toBe(`${CODE_ALPHABET[0]}${CODE_ALPHABET[3]}${CODE_ALPHABET[15]}${CODE_ALPHABET[30]}`);
    expect(phrase.text).toBe(`rankbridge: acorn lilac zephyr desert ${phrase.code}`);
  });

  test("has the expected shape", () => {
    const phrase = generateLinkPhrase(seeded(7));
    expect(phrase.text).toMatch(/^rankbridge: ([a-z]+ ){4}[2-9A-HJKMNP-Z]{4}$/);
    expect(phrase.text.startsWith(PHRASE_PREFIX)).toBe(true);
    expect(phrase.text).not.toContain("`");
  });

  test("word and code counts can be changed", () => {
    const phrase = generateLinkPhrase(seeded(1), { wordCount: 6, codeLength: 0 });
    expect(phrase.words).toHaveLength(6);
    expect(phrase.code).toBe("");
    expect(phrase.text.split(" ")).toHaveLength(7);
  });

  test("different randomness gives different phrases", () => {
    const random = seeded(123);
    const phrases = new Set(Array.from({ length: 500 }, () => generateLinkPhrase(random).text));
    expect(phrases.size).toBe(500);
  });

  test("refuses too few words and a broken random source", () => {
    expect(() => generateLinkPhrase(seeded(1), { wordCount: 1 })).toThrow(RangeError);
    expect(() => generateLinkPhrase(() => 1)).toThrow(RangeError);
  });

  test("the word list is lower-case letters without repeats, and the code avoids look-alikes", () => {
    expect(new Set(PHRASE_WORDS).size).toBe(PHRASE_WORDS.length);
    for (const word of PHRASE_WORDS) expect(word).toMatch(/^[a-z]+$/);
    expect(CODE_ALPHABET).not.toMatch(/[01ILO]/);
  });
});

describe("checking the profile", () => {
  const phrase = "rankbridge: amber falcon river otter 7Q2K";

  test("finds the phrase whatever the case and spacing", () => {
    expect(checkProfileForPhrase(`Hi! I build games.\n${phrase}\nThanks`, phrase)).toEqual({ status: "found" });
    expect(checkProfileForPhrase("RANKBRIDGE:   Amber  falcon\nriver otter 7q2k", phrase)).toEqual({ status: "found" });
    expect(checkProfileForPhrase("rankbridge: amber falcon river otter 7Q2K.", phrase)).toEqual({ status: "found" });
  });

  test("the prefix is optional: the words and code are the proof", () => {
    expect(checkProfileForPhrase("amber falcon river otter 7Q2K", phrase).status).toBe("found");
  });

  test("is not fooled by a different code or a missing word", () => {
    expect(checkProfileForPhrase("rankbridge: amber falcon river otter 7Q2X", phrase).status).toBe("missing");
    expect(checkProfileForPhrase("rankbridge: amber falcon otter 7Q2K", phrase).status).toBe("missing");
    expect(checkProfileForPhrase("rankbridge: amber falcon river otter 7Q2KZ", phrase).status).toBe("missing");
  });

  test("an empty About is missing, with advice", () => {
    const result = checkProfileForPhrase(null, phrase);
    expect(result.status).toBe("missing");
    expect(hintFor(result)).toContain("About");
    expect(checkProfileForPhrase("", phrase).status).toBe("missing");
  });

  test("a filtered phrase does not match, and the message asks for a new phrase", () => {
    const result = checkProfileForPhrase("rankbridge: amber ###### river otter 7Q2K", phrase);
    expect(result.status).toBe("filtered");
    expect(hintFor(result)).toContain("new phrase");
  });

  test("a filtered span that swallows spaces is still recognised", () => {
    expect(checkProfileForPhrase("rankbridge: amber ############ otter 7q2k", phrase).status).toBe("filtered");
  });

  test("a decorative run of '#'s is not taken for a filtered phrase", () => {
    const result = checkProfileForPhrase("######################################", phrase);
    expect(result.status).toBe("missing");
    expect(hintFor(result)).toContain("get a new phrase");
  });

  test("a short run standing for a word, or a word partly hidden, counts as filtered", () => {
    expect(checkProfileForPhrase("amber falcon ## otter 7q2k", phrase).status).toBe("filtered");
    expect(checkProfileForPhrase("rankbridge: amber falcon river otter 7q##", phrase).status).toBe("filtered");
  });

  test("a mistyped phrase is missing, even with '#'s elsewhere in the About", () => {
    expect(checkProfileForPhrase("#1 fan!\namber falcon otter 7q2k", phrase).status).toBe("missing");
    expect(checkProfileForPhrase("xamber falcon river otter 7q2k ###", phrase).status).toBe("missing");
    expect(checkProfileForPhrase("### amber, falcon, river, otter, 7q2k", phrase).status).toBe("missing");
  });

  test("unrelated '#'s elsewhere do not hide an intact phrase", () => {
    expect(checkProfileForPhrase(`#1 fan ### \n${phrase}`, phrase).status).toBe("found");
  });

  test("unrelated '#'s without the phrase are just missing", () => {
    expect(checkProfileForPhrase("I love #### and games", phrase).status).toBe("missing");
  });
});
