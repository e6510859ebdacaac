import { describe, expect, test } from "bun:test";
import { decideRankChange, exemptionOf, isRankAdmin, type Actor, type GuildAuthority, type RankChangeRequest } from "../../src/ranks/authority.ts";
import { DiscordPermission } from "../../src/ranks/hierarchy.ts";
import type { Rank } from "../../src/ranks/ladder.ts";
import { RANKS, ROLE, militaryLadder } from "./fixtures.ts";
import { describeRankChangeDenial } from "../../src/discord/views/rank-rules.ts";

const ladder = militaryLadder();
const OWNER_ID = "190000000000000001";
const ACTOR_ID = "190000000000000002";
const TARGET_ID = "190000000000000003";
const ADMIN_ROLE = "1187654321098765500";

const guild: GuildAuthority = { ownerId: OWNER_ID, adminRoleIds: [ADMIN_ROLE] };

function actor(roleIds: string[], permissions = DiscordPermission.ManageRoles, userId = ACTOR_ID): Actor {
  return { userId, roleIds, permissions };
}

function request(by: Actor, toRank: Rank, currentRank: Rank | null = RANKS.enlist, targetId = TARGET_ID): RankChangeRequest {
  return { actor: by, guild, ladder, target: { userId: targetId, currentRank }, toRank };
}

describe("who counts as an admin", () => {
  test("Manage Roles, a configured admin role, Administrator or the owner", () => {
    expect(isRankAdmin(actor([], DiscordPermission.ManageRoles), guild)).toBe(true);
    expect(isRankAdmin(actor([ADMIN_ROLE], 0n), guild)).toBe(true);
    expect(isRankAdmin(actor([], DiscordPermission.Administrator), guild)).toBe(true);
    expect(isRankAdmin(actor([], 0n, OWNER_ID), guild)).toBe(true);
  });

  test("a rank role alone is not admin", () => {
    expect(isRankAdmin(actor([ROLE.commander], 0n), guild)).toBe(false);
  });

  test("admin roles may be given as a Set", () => {
    expect(isRankAdmin(actor([ADMIN_ROLE], 0n), { ownerId: OWNER_ID, adminRoleIds: new Set([ADMIN_ROLE]) })).toBe(true);
    expect(isRankAdmin(actor([ADMIN_ROLE], 0n), { ownerId: OWNER_ID, adminRoleIds: new Set() })).toBe(false);
  });

  test("exemptions", () => {
    expect(exemptionOf(actor([], 0n, OWNER_ID), guild)).toBe("guild-owner");
    expect(exemptionOf(actor([], DiscordPermission.Administrator | DiscordPermission.ManageRoles), guild)).toBe("administrator");
    expect(exemptionOf(actor([], DiscordPermission.ManageRoles), guild)).toBeNull();
  });
});

describe("deciding a rank change", () => {
  test("an admin may give a rank below their own to someone below them", () => {
    expect(decideRankChange(request(actor([ROLE.sergeant]), RANKS.corporal, RANKS.soldier))).toEqual({ allowed: true, exemption: null });
  });

  test("an unranked target may be given a rank below the actor's", () => {
    expect(decideRankChange(request(actor([ROLE.sergeant]), RANKS.enlist, null)).allowed).toBe(true);
  });

  test("nobody without admin rights may change ranks, whatever rank they hold", () => {
    const decision = decideRankChange(request(actor([ROLE.commander], 0n), RANKS.enlist));
    expect(decision).toMatchObject({ allowed: false, reason: "not-admin" });
  });

  test("a configured admin role is enough to pass the admin check", () => {
    expect(decideRankChange(request(actor([ADMIN_ROLE, ROLE.sergeant], 0n), RANKS.soldier)).allowed).toBe(true);
  });

  test("an admin with no rank role has no rank below them to give", () => {
    expect(decideRankChange(request(actor([ROLE.booster]), RANKS.enlist, null))).toMatchObject({ allowed: false, reason: "actor-unranked" });
  });

  test("the rank given must be strictly below the actor's own", () => {
    const equal = decideRankChange(request(actor([ROLE.sergeant]), RANKS.sergeant));
    expect(equal).toMatchObject({ allowed: false, reason: "rank-at-or-above-own" });
    if (!equal.allowed) expect(describeRankChangeDenial(equal)).toContain("E5 | Sergeant (Rank 10)");
    expect(decideRankChange(request(actor([ROLE.sergeant]), RANKS.commander))).toMatchObject({ reason: "rank-at-or-above-own" });
  });

  test("the actor's own rank is the highest rank role they hold", () => {
    // Holding Enlist as well must not lower the actor's standing.
    expect(decideRankChange(request(actor([ROLE.enlist, ROLE.sergeant]), RANKS.corporal)).allowed).toBe(true);
  });

  test("a superior or equal cannot be demoted", () => {
    expect(decideRankChange(request(actor([ROLE.sergeant]), RANKS.enlist, RANKS.commander))).toMatchObject({
      allowed: false,
      reason: "target-outranks-actor",
    });
    expect(decideRankChange(request(actor([ROLE.sergeant]), RANKS.enlist, RANKS.sergeant))).toMatchObject({ reason: "target-outranks-actor" });
  });

  test("nobody changes their own rank unless exempt", () => {
    const self = request(actor([ROLE.sergeant]), RANKS.enlist, RANKS.sergeant, ACTOR_ID);
    expect(decideRankChange(self)).toMatchObject({ allowed: false, reason: "own-rank" });
  });

  test("the owner's rank is out of reach of non-exempt admins", () => {
    expect(decideRankChange(request(actor([ROLE.commander]), RANKS.enlist, null, OWNER_ID))).toMatchObject({ reason: "target-is-owner" });
  });

  test("the guild owner is exempt, even without any rank role", () => {
    const byOwner = decideRankChange(request(actor([], 0n, OWNER_ID), RANKS.owner, RANKS.commander));
    expect(byOwner).toEqual({ allowed: true, exemption: "guild-owner" });
  });

  test("Administrators are exempt", () => {
    const byAdministrator = decideRankChange(request(actor([ROLE.enlist], DiscordPermission.Administrator), RANKS.owner, RANKS.commander));
    expect(byAdministrator).toEqual({ allowed: true, exemption: "administrator" });
  });
});
