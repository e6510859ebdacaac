import { describe, expect, test } from "bun:test";
import { feedStatusText } from "../../src/discord/views/change-feed.ts";
import { describeError } from "../../src/discord/views/errors.ts";
import { escapeMarkdown, truncate } from "../../src/discord/views/markdown.ts";
import { decodePointsButton, encodePointsButton } from "../../src/discord/views/rank-change.ts";
import { decodeHeldRunButton, encodeHeldRunButton } from "../../src/discord/views/sync-run.ts";
import { NotRankAdminError } from "../../src/services/admin-gate.ts";
import { LinkingError } from "../../src/services/linking-errors.ts";
import { SyncNotPossibleError } from "../../src/sync/sync-context.ts";

describe("custom ids are written and read by the same view", () => {
  test("the points confirmation's Confirm and Cancel round-trip; anything else is not one of its buttons", () => {
    const confirm = encodePointsButton("promote", { verb: "confirm", memberId: "123", rankId: 7 });
    expect(confirm).toBe("promote:confirm:123:7");
    expect(decodePointsButton(confirm.slice("promote:".length))).toEqual({ verb: "confirm", memberId: "123", rankId: 7 });
    expect(decodePointsButton(encodePointsButton("promote", { verb: "cancel" }).slice("promote:".length))).toEqual({ verb: "cancel" });
    for (const stale of ["confirm:123", "confirm::7", "confirm:123:x", "apply:1", ""]) expect(decodePointsButton(stale)).toBeNull();
  });

  test("a held run's Apply and Cancel round-trip; a run id that is not a number is refused", () => {
    expect(encodeHeldRunButton({ verb: "apply", runId: 42 })).toBe("sync:apply:42");
    expect(decodeHeldRunButton("apply:42")).toEqual({ verb: "apply", runId: 42 });
    expect(decodeHeldRunButton("cancel:42")).toEqual({ verb: "cancel", runId: 42 });
    for (const stale of ["apply:x", "apply", "approve:42", ""]) expect(decodeHeldRunButton(stale)).toBeNull();
  });
});

describe("one markdown escape and one truncate", () => {
  test("the library's rules, plus a lone tilde; a single pipe stays", () => {
    expect(escapeMarkdown("Sky_Builder")).toBe("Sky\\_Builder");
    expect(escapeMarkdown("a~b")).toBe("a\\~b");
    expect(escapeMarkdown("a~~b~~")).toBe("a\\~\\~b\\~\\~");
    expect(escapeMarkdown("E1 | Soldier")).toBe("E1 | Soldier");
    expect(escapeMarkdown("x||y")).toBe("x\\|\\|y");
  });

  test("truncate keeps short text and marks a cut with an ellipsis, within the limit", () => {
    expect(truncate("short", 10)).toBe("short");
    const cut = truncate("x".repeat(30), 10);
    expect(cut).toHaveLength(10);
    expect(cut.endsWith("…")).toBe(true);
  });
});

describe("typed refusals are worded by the view", () => {
  test("the admin check names the admin role only when the guild has one", () => {
    expect(describeError(new NotRankAdminError(false))).toBe("You need the Manage Roles permission to use this command.");
    expect(describeError(new NotRankAdminError(true))).toBe(
      "You need the Manage Roles permission or this server's rankbridge admin role to use this command.",
    );
  });

  test("a linking error's facts make its sentence; its own message carries no markdown", () => {
    const error = new LinkingError("unknown-username", { robloxUsername: "Nobody_Here" });
    expect(describeError(error)).toBe("No Roblox account is called **Nobody_Here**. Check the spelling (it's the username, not the display name) and try again.");
    expect(error.message).not.toContain("**");
  });

  test("a sync that cannot start says why; an error that is not for the user gets no sentence", () => {
    expect(describeError(new SyncNotPossibleError("no-ranks"))).toBe(
      "No ranks are set up yet. An admin can run /ranks import to read them from the Roblox group.",
    );
    expect(describeError(new Error("socket hang up"))).toBeUndefined();
  });
});

describe("the change feed's /sync-status field", () => {
  const state = {
    groupId: 7,
    guildIds: ["1"],
    credential: "operator" as const,
    lastPollAt: 1_000_000,
    caughtUpTo: 1_000_000,
    errors: 0,
    lastError: null,
    lastGap: null,
    readElsewhere: false,
    problem: null,
  };

  test("a group another process of the cluster reads says so; a lost hand-on is worded as its own gap", () => {
    expect(feedStatusText(state, 2_000, 1_004_000).text).not.toContain("another process");
    const elsewhere = feedStatusText({ ...state, readElsewhere: true, lastGap: { reason: "relay", at: 1_000_000 } }, 2_000, 1_004_000).text;
    expect(elsewhere).toContain("last read <t:1000:R> by another process of the bot; up to date to 4s ago");
    expect(elsewhere).toContain("changes another process of the bot read were lost before they reached this one");
  });
});
