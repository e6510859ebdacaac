// The dashboard's bind preview (design §9: "a preview of how many members would gain or lose each
// role, computed by the same planner the sync uses, from stored state"): stored links and ranks in a
// real SQLite database, members' Discord roles from a member-roles port like the sync's. The service
// has no Roblox port at all, so no preview can ask Roblox; the port's calls are counted.
import { beforeEach, describe, expect, test } from "bun:test";
import { createRepositories, openDatabase, type Repositories } from "../../src/db/index.ts";
import { BindSet, settingBinds } from "../../src/ranks/binds.ts";
import { RankLadder } from "../../src/ranks/ladder.ts";
import { BindPreviews, type BindPreviewResult } from "../../src/services/bind-preview.ts";
import type { MemberRolesPort } from "../../src/sync/member-roles.ts";
import { planSync } from "../../src/sync/planner.ts";

const GUILD = "900000000000000001";
const OTHER_GUILD = "900000000000000002";
const GROUP = 4_242;
const ALLY_GROUP = 5_555;
const ROLE = { private: "800000000000000011", corporal: "800000000000000012", sergeant: "800000000000000013", nco: "800000000000000020", staff: "800000000000000021", booster: "800000000000000030" };

let repositories: Repositories;
/** Discord roles per member, as the gateway would send them; absent: not in the server. */
let held: Map<string, string[]>;
let portCalls: { wanted: string[] }[];
let previews: BindPreviews;
let rankId: Record<"private" | "corporal" | "sergeant", number>;

const port: MemberRolesPort = async function* (_guildId, wanted) {
  portCalls.push({ wanted: [...(wanted ?? [])].sort() });
  yield [...held].filter(([userId]) => !wanted || wanted.has(userId)).map(([userId, roleIds]) => ({ userId, roleIds }));
};

async function member(discordId: string, rank: keyof typeof rankId | null, roles: string[] | undefined): Promise<void> {
  const robloxUserId = Number(discordId.slice(-6));
  await repositories.members.link(GUILD, discordId, { robloxUserId, robloxUsername: `user${robloxUserId}`, verifiedBy: "profile-phrase" });
  if (rank) await repositories.members.setStoredRank(GUILD, discordId, rankId[rank]);
  if (roles) held.set(discordId, roles);
}

const roleOf = (result: unknown, roleId: string) => (result as BindPreviewResult).roles.find((role) => role.roleId === roleId);

beforeEach(async () => {
  repositories = createRepositories(openDatabase(":memory:").db);
  held = new Map();
  portCalls = [];
  await repositories.guilds.upsert(GUILD, { robloxGroupId: GROUP });
  await repositories.ranks.replace(GUILD, [
    { name: "Private", robloxRoleId: 11, robloxRank: 1, discordRoleId: ROLE.private },
    { name: "Corporal", robloxRoleId: 12, robloxRank: 2, discordRoleId: ROLE.corporal },
    { name: "Sergeant", robloxRoleId: 13, robloxRank: 3, discordRoleId: ROLE.sergeant },
  ]);
  const ranks = await repositories.ranks.list(GUILD);
  rankId = { private: ranks[0]!.id, corporal: ranks[1]!.id, sergeant: ranks[2]!.id };
  previews = new BindPreviews({ repositories, contexts: { groupIdOf: (_guildId, settings) => settings?.robloxGroupId ?? undefined }, memberRoles: port });
});

describe("the bind preview", () => {
  test("a new role: the members the bind matches gain it, a holder it doesn't match loses it (it becomes managed), as the planner computes", async () => {
    await member("100000000000000001", "corporal", [ROLE.corporal]);
    await member("100000000000000002", "corporal", [ROLE.corporal, ROLE.booster]);
    await member("100000000000000003", "private", [ROLE.private, ROLE.nco]);
    await member("100000000000000004", "sergeant", [ROLE.sergeant]);
    const result = await previews.preview(GUILD, { kind: "add", condition: { kind: "rank", rankId: rankId.corporal }, roleId: ROLE.nco });
    expect(result).toEqual({ kind: "preview", roles: [{ roleId: ROLE.nco, gain: 2, lose: 1 }], counted: 4, notInServer: 0, rankUnknown: 0, undecidedGroupIds: [] });
    // The booster role no bind gives is neither counted nor touched.
    expect(roleOf(result, ROLE.booster)).toBeUndefined();
    expect(portCalls).toHaveLength(1);
    expect(portCalls[0]!.wanted).toHaveLength(4);

    // The same figures as the sync's planner with the bind stored.
    await repositories.binds.add(GUILD, { kind: "rank", rankId: rankId.corporal }, [ROLE.nco]);
    const ladder = new RankLadder(await repositories.ranks.list(GUILD));
    const plan = planSync({
      robloxMemberships: new Map((await repositories.members.listLinkedAccounts(GUILD)).map((row) => [row.robloxUserId, { roleId: ladder.byId(row.rankId!)!.robloxRoleId, rank: ladder.byId(row.rankId!)!.robloxRank }])),
      links: (await repositories.members.listLinkedAccounts(GUILD)).map((row) => ({ ...row, robloxUsername: row.robloxUsername ?? "", storedRankId: row.rankId })),
      ladder,
      discordMemberRoles: held,
      pendingRobloxWrites: new Map(),
      options: { leftGroupPolicy: "flag" },
      binds: new BindSet([...(await repositories.binds.list(GUILD)), ...settingBinds({ verifiedRoleId: null, unverifiedRoleId: null })]),
      robloxGroupId: GROUP,
    });
    expect(plan.items.filter((item) => item.addRoleIds.includes(ROLE.nco))).toHaveLength(2);
    expect(plan.items.filter((item) => item.removeRoleIds.includes(ROLE.nco))).toHaveLength(1);
  });

  test("overlapping binds: members another bind already gives the role to gain nothing", async () => {
    await repositories.binds.add(GUILD, { kind: "range", groupId: GROUP, minRank: 2, maxRank: 3 }, [ROLE.nco]);
    await member("100000000000000001", "corporal", [ROLE.corporal, ROLE.nco]);
    await member("100000000000000002", "sergeant", [ROLE.sergeant, ROLE.nco]);
    await member("100000000000000003", "private", [ROLE.private]);
    // Out of line already (the range gives it): the next sync gives it with or without the new bind.
    await member("100000000000000004", "corporal", [ROLE.corporal]);
    // Private gets NCO too: only the private gains it because of the change.
    const result = await previews.preview(GUILD, { kind: "add", condition: { kind: "rank", rankId: rankId.private }, roleId: ROLE.nco });
    expect(roleOf(result, ROLE.nco)).toEqual({ roleId: ROLE.nco, gain: 1, lose: 0 });
  });

  test("removing a bind: a role another bind still gives is not lost; a member it alone gave the role to loses it", async () => {
    await repositories.binds.add(GUILD, { kind: "range", groupId: GROUP, minRank: 3, maxRank: 3 }, [ROLE.nco]);
    const { bind } = await repositories.binds.add(GUILD, { kind: "rank", rankId: rankId.corporal }, [ROLE.nco]);
    await repositories.binds.add(GUILD, { kind: "range", groupId: GROUP, minRank: 3, maxRank: 3 }, [ROLE.staff]);
    await member("100000000000000001", "corporal", [ROLE.corporal, ROLE.nco]);
    await member("100000000000000002", "sergeant", [ROLE.sergeant, ROLE.nco]);
    const result = await previews.preview(GUILD, { kind: "remove", bindId: bind.origin.id });
    expect(roleOf(result, ROLE.nco)).toEqual({ roleId: ROLE.nco, gain: 0, lose: 1 });
  });

  test("removing the only bind of a role: it is no longer managed, so nobody loses it (not even holders it didn't match)", async () => {
    const { bind } = await repositories.binds.add(GUILD, { kind: "rank", rankId: rankId.sergeant }, [ROLE.staff]);
    await member("100000000000000001", "sergeant", [ROLE.sergeant, ROLE.staff]);
    await member("100000000000000002", "private", [ROLE.private, ROLE.staff]);
    await member("100000000000000003", "sergeant", [ROLE.sergeant]);
    const result = await previews.preview(GUILD, { kind: "remove", bindId: bind.origin.id });
    expect(roleOf(result, ROLE.staff)).toEqual({ roleId: ROLE.staff, gain: 0, lose: 0 });
  });

  test("a bind of another guild is unknown here, and nothing is read for it", async () => {
    await repositories.ranks.replace(OTHER_GUILD, [{ name: "Private", robloxRoleId: 11, robloxRank: 1, discordRoleId: ROLE.private }]);
    const { bind } = await repositories.binds.add(OTHER_GUILD, { kind: "range", groupId: GROUP, minRank: 1, maxRank: 1 }, [ROLE.staff]);
    await member("100000000000000001", "private", [ROLE.private, ROLE.staff]);
    expect(await previews.preview(GUILD, { kind: "remove", bindId: bind.origin.id })).toEqual({ kind: "unknown-bind" });
    expect(portCalls).toHaveLength(0);
  });

  test("members not in the server or with no stored rank are left out and counted apart; another group's range is undecided", async () => {
    await member("100000000000000001", "corporal", [ROLE.corporal]);
    await member("100000000000000002", "corporal", undefined);
    await member("100000000000000003", null, [ROLE.nco]);
    const own = await previews.preview(GUILD, { kind: "add", condition: { kind: "range", groupId: GROUP, minRank: 1, maxRank: 255 }, roleId: ROLE.nco });
    expect(own).toEqual({ kind: "preview", roles: [{ roleId: ROLE.nco, gain: 1, lose: 0 }], counted: 1, notInServer: 1, rankUnknown: 1, undecidedGroupIds: [] });
    const ally = await previews.preview(GUILD, { kind: "add", condition: { kind: "range", groupId: ALLY_GROUP, minRank: 1, maxRank: 255 }, roleId: ROLE.nco });
    expect(ally).toMatchObject({ roles: [{ roleId: ROLE.nco, gain: 0, lose: 0 }], undecidedGroupIds: [ALLY_GROUP] });
  });

  test("a role added to a condition already bound joins that bind, as saving it would", async () => {
    await repositories.binds.add(GUILD, { kind: "rank", rankId: rankId.corporal }, [ROLE.nco]);
    await member("100000000000000001", "corporal", [ROLE.corporal, ROLE.nco]);
    const result = await previews.preview(GUILD, { kind: "add", condition: { kind: "rank", rankId: rankId.corporal }, roleId: ROLE.staff });
    expect(result).toMatchObject({ roles: [{ roleId: ROLE.staff, gain: 1, lose: 0 }] });
  });
});

test("when Discord keeps refusing the member list, the preview says so instead of counting", async () => {
  await member("100000000000000001", "corporal", [ROLE.corporal]);
  const refusing: MemberRolesPort = async function* () {
    yield* [];
    throw Object.assign(new Error("rate limited"), { name: "GatewayRateLimitError", data: { retry_after: 0 } });
  };
  const busy = new BindPreviews({ repositories, contexts: { groupIdOf: () => GROUP }, memberRoles: refusing });
  expect(await busy.preview(GUILD, { kind: "add", condition: { kind: "rank", rankId: rankId.corporal }, roleId: ROLE.nco })).toEqual({ kind: "members-unavailable" });
});
