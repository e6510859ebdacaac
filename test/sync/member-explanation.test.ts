// "Why didn't this member get the role?" (design §9's member lookup): the explanation of one member's
// managed roles, from the stored state, by the planner and the hierarchy pre-check the sync uses.
// Real repositories on an in-memory SQLite database; Discord is a plain in-memory directory.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { openDatabase } from "../../src/db/client.ts";
import { createRepositories, type Repositories } from "../../src/db/index.ts";
import { DiscordPermission, permissionsFromRoles, type GuildRole } from "../../src/ranks/hierarchy.ts";
import type { GuildBotStanding, GuildMemberView, GuildSnapshot } from "../../src/services/discord-port.ts";
import { MemberExplanations, type MemberExplanation } from "../../src/services/member-explanation.ts";

const GUILD = "100000000000000001";
const OTHER_GUILD = "100000000000000002";
const OWNER = "200000000000000001";
const BOT = "200000000000000002";
const ALICE = "200000000000000003";
const BOB = "200000000000000004";
const GROUP = 7_100;

const role = (id: string, name: string, position: number, permissions = 0n): GuildRole => ({ id, name, position, managed: false, permissions });
const ROLES = {
  everyone: role(GUILD, "@everyone", 0),
  recruit: role("300000000000000001", "Recruit", 2),
  sergeant: role("300000000000000002", "Sergeant", 3),
  nco: role("300000000000000003", "NCO", 4),
  unverified: role("300000000000000004", "Unverified", 5),
  bot: role("300000000000000005", "rankbridge", 10, DiscordPermission.ManageRoles | DiscordPermission.ManageNicknames),
  colonel: role("300000000000000006", "Colonel", 20),
  moderators: role("300000000000000007", "Moderators", 30),
};

/** The guild as Discord holds it: its roles, members and the bot's roles. */
class FakeDirectory {
  roles = new Map(Object.values(ROLES).map((r) => [r.id, { ...r }]));
  members = new Map<string, GuildMemberView>();
  botRoleIds = [ROLES.bot.id];

  addMember(userId: string, username: string, roleIds: string[], nick: string | null = null) {
    this.members.set(userId, { userId, username, displayName: nick ?? username, nick, accountName: username, roleIds });
  }
  async guild(guildId: string): Promise<GuildSnapshot> {
    if (guildId !== GUILD) throw new Error("unknown guild");
    return { id: GUILD, name: "Sandbox Legion", ownerId: OWNER, roles: this.roles };
  }
  async member(guildId: string, userId: string): Promise<GuildMemberView | null> {
    return guildId === GUILD ? (this.members.get(userId) ?? null) : null;
  }
  async botStanding(guildId: string): Promise<GuildBotStanding> {
    const guild = await this.guild(guildId);
    const guildRoles = [...guild.roles.values()];
    return { guild, ownerId: OWNER, botRoleIds: this.botRoleIds, guildRoles, botPermissions: permissionsFromRoles(this.botRoleIds, guildRoles, GUILD) };
  }
}

let handle: ReturnType<typeof openDatabase>;
let repositories: Repositories;
let discord: FakeDirectory;
let explanations: MemberExplanations;
let rankIds: Record<"recruit" | "sergeant" | "colonel", number>;

beforeEach(async () => {
  handle = openDatabase(":memory:");
  repositories = createRepositories(handle.db, { now: () => 1_800_000_000_000 });
  discord = new FakeDirectory();
  await repositories.guilds.upsert(GUILD, { robloxGroupId: GROUP, unverifiedRoleId: ROLES.unverified.id });
  await repositories.ranks.replace(GUILD, [
    { name: "Recruit", robloxRoleId: 71_001, robloxRank: 1, discordRoleId: ROLES.recruit.id },
    { name: "Sergeant", robloxRoleId: 71_002, robloxRank: 10, discordRoleId: ROLES.sergeant.id },
    { name: "Colonel", robloxRoleId: 71_003, robloxRank: 200, discordRoleId: ROLES.colonel.id },
  ]);
  const ladder = await repositories.ranks.list(GUILD);
  const idOf = (name: string) => ladder.find((rank) => rank.name === name)!.id;
  rankIds = { recruit: idOf("Recruit"), sergeant: idOf("Sergeant"), colonel: idOf("Colonel") };
  explanations = new MemberExplanations({ repositories, guilds: discord, groupIdOf: (_guildId, settings) => settings?.robloxGroupId ?? undefined });
});
afterEach(() => handle.close());

async function link(discordId: string, robloxUserId: number, rank: keyof typeof rankIds | null) {
  await repositories.members.link(GUILD, discordId, { robloxUserId, robloxUsername: `Legionnaire${robloxUserId}`, verifiedBy: "oauth" });
  await repositories.members.setStoredRank(GUILD, discordId, rank === null ? null : rankIds[rank]);
}

const roleOf = (explanation: MemberExplanation | undefined, roleId: string) => explanation!.roles.find((r) => r.roleId === roleId);

describe("the member lookup's explanation", () => {
  test("a role given by one bind and removed by none: held, in agreement, and the bind named as matching", async () => {
    discord.addMember(ALICE, "alice", [ROLES.sergeant.id]);
    await link(ALICE, 501, "sergeant");
    const explained = await explanations.explain(GUILD, ALICE);

    expect(explained!.planKind).toBe("in-sync");
    expect(explained!.link).toMatchObject({ robloxUserId: 501, robloxUsername: "Legionnaire501" });
    expect(explained!.roblox.storedRank?.name).toBe("Sergeant");
    expect(roleOf(explained, ROLES.sergeant.id)).toMatchObject({ wanted: true, held: true, change: null, state: "in-agreement", holds: [] });
    const sergeant = roleOf(explained, ROLES.sergeant.id)!;
    expect(sergeant.binds).toHaveLength(1);
    expect(sergeant.binds[0]).toMatchObject({ bind: { kind: "rank", rankId: rankIds.sergeant }, matches: true });
    // The other rank roles: not wanted, not held, in agreement; the unverified role is not for a linked member.
    expect(roleOf(explained, ROLES.recruit.id)).toMatchObject({ wanted: false, held: false, state: "in-agreement" });
    expect(roleOf(explained, ROLES.unverified.id)).toMatchObject({ wanted: false, held: false, state: "in-agreement" });
  });

  test("a role above the bot's highest role: the change is blocked, naming the role and the bot's role", async () => {
    discord.addMember(ALICE, "alice", [ROLES.sergeant.id]);
    await link(ALICE, 501, "colonel");
    const explained = await explanations.explain(GUILD, ALICE);

    expect(roleOf(explained, ROLES.colonel.id)).toMatchObject({
      wanted: true,
      held: false,
      change: "add",
      state: "blocked",
      holds: [{ kind: "role-problem", problem: { kind: "above-bot", roleId: ROLES.colonel.id, roleName: "Colonel", botRoleName: "rankbridge" } }],
    });
    // The member's edit is one request: the Sergeant role the bot could take is held back with it.
    expect(roleOf(explained, ROLES.sergeant.id)).toMatchObject({
      wanted: false,
      held: true,
      change: "remove",
      state: "blocked",
      holds: [{ kind: "other-role-blocked", roleIds: [ROLES.colonel.id] }],
    });
    // Highest first.
    expect(explained!.roles.map((r) => r.roleId)).toEqual([ROLES.colonel.id, ROLES.unverified.id, ROLES.sergeant.id, ROLES.recruit.id]);

    // Once the bot's role is moved above it, both change at the next sync.
    discord.roles.set(ROLES.bot.id, { ...ROLES.bot, position: 25 });
    const fixed = await explanations.explain(GUILD, ALICE);
    expect(roleOf(fixed, ROLES.colonel.id)).toMatchObject({ change: "add", state: "will-change", holds: [] });
    expect(roleOf(fixed, ROLES.sergeant.id)).toMatchObject({ change: "remove", state: "will-change", holds: [] });
  });

  test("the guild owner: their roles change as anyone's, their nickname is not (Discord lets nobody change it)", async () => {
    await repositories.guilds.upsert(GUILD, { nicknameTemplate: "[{rank}] {roblox-username}" });
    discord.addMember(OWNER, "owner", [], "Boss");
    await link(OWNER, 777, "recruit");
    const explained = await explanations.explain(GUILD, OWNER);

    expect(explained!.discord).toMatchObject({ isOwner: true });
    expect(roleOf(explained, ROLES.recruit.id)).toMatchObject({ change: "add", state: "will-change", holds: [] });
    expect(explained!.nickname).toEqual({ wanted: "[Recruit] Legionnaire777", current: "Boss", problem: "guild-owner" });

    // A member who is not the owner gets the nickname.
    discord.addMember(BOB, "bob", [], null);
    await link(BOB, 778, "recruit");
    expect((await explanations.explain(GUILD, BOB))!.nickname).toEqual({ wanted: "[Recruit] Legionnaire778", current: null, problem: null });
  });

  test("the bot lacks Manage Roles: every change is blocked by the missing permission", async () => {
    discord.roles.set(ROLES.bot.id, { ...ROLES.bot, permissions: 0n });
    discord.addMember(ALICE, "alice", [ROLES.recruit.id]);
    await link(ALICE, 501, "sergeant");
    const explained = await explanations.explain(GUILD, ALICE);

    const missing = [{ kind: "role-problem", problem: { kind: "missing-permission", roleId: null, roleName: null } }];
    expect(roleOf(explained, ROLES.sergeant.id)).toMatchObject({ change: "add", state: "blocked", holds: missing });
    expect(roleOf(explained, ROLES.recruit.id)).toMatchObject({ change: "remove", state: "blocked", holds: missing });
  });

  test("an unlinked member: the unverified role is given; a rank role they hold is left alone because they are not linked", async () => {
    discord.addMember(BOB, "bob", [ROLES.recruit.id]);
    const explained = await explanations.explain(GUILD, BOB);

    expect(explained!.link).toBeNull();
    expect(explained!.planKind).toBe("unlinked");
    expect(roleOf(explained, ROLES.unverified.id)).toMatchObject({
      wanted: true,
      held: false,
      change: "add",
      state: "will-change",
      binds: [{ bind: { kind: "unlinked", origin: { kind: "unverified-role" } }, matches: true }],
    });
    expect(roleOf(explained, ROLES.recruit.id)).toMatchObject({ wanted: false, held: true, change: null, state: "left-alone", holds: [{ kind: "not-linked" }] });
  });

  test("a role no bind manages is never explained nor named as blocking, even above the bot", async () => {
    discord.addMember(ALICE, "alice", [ROLES.moderators.id, ROLES.recruit.id]);
    await link(ALICE, 501, "sergeant");
    const explained = await explanations.explain(GUILD, ALICE);

    expect(explained!.roles.map((r) => r.roleId)).not.toContain(ROLES.moderators.id);
    expect(JSON.stringify(explained!.roles, (_key, value) => (typeof value === "bigint" ? String(value) : value))).not.toContain(ROLES.moderators.id);
    expect(roleOf(explained, ROLES.sergeant.id)).toMatchObject({ change: "add", state: "will-change" });
    // It shows among the member's roles, marked as no bind's.
    expect(explained!.discord!.roles.find((held) => held.roleId === ROLES.moderators.id)).toMatchObject({ managed: false });
  });

  test("a rank never read since linking, a range bind on a group not read, and a pending Roblox write", async () => {
    const ally = role("300000000000000009", "Ally", 6);
    discord.roles.set(ally.id, ally);
    await repositories.binds.add(GUILD, { kind: "range", groupId: 5_120_777, minRank: 1, maxRank: 255 }, [ally.id]);
    discord.addMember(ALICE, "alice", [ally.id]);
    await repositories.members.link(GUILD, ALICE, { robloxUserId: 501, robloxUsername: "Legionnaire501", verifiedBy: "oauth" });
    const unknown = await explanations.explain(GUILD, ALICE);
    expect(unknown!.planKind).toBe("roblox-unknown");
    expect(unknown!.roblox.storedAt).toBeNull();
    expect(roleOf(unknown, ally.id)).toMatchObject({ wanted: undefined, held: true, state: "left-alone", holds: [{ kind: "roblox-unknown" }] });

    await repositories.members.setStoredRank(GUILD, ALICE, rankIds.recruit);
    const read = await explanations.explain(GUILD, ALICE);
    expect(roleOf(read, ally.id)).toMatchObject({ wanted: undefined, held: true, change: null, state: "left-alone", holds: [{ kind: "group-not-read", groupIds: [5_120_777] }] });

    // A queued Roblox write to Sergeant: the sync follows its target, not the stored rank.
    await repositories.pendingWrites.enqueue(GUILD, { discordId: ALICE, robloxUserId: 501, groupId: GROUP, targetRobloxRoleId: 71_002, targetRank: 10 });
    const pending = await explanations.explain(GUILD, ALICE);
    expect(pending!.roblox.pendingWrite).toMatchObject({ targetRank: 10, rank: { name: "Sergeant" } });
    expect(roleOf(pending, ROLES.sergeant.id)).toMatchObject({ wanted: true, change: "add", state: "will-change" });
  });

  test("only this guild's members: a member of another guild, or nobody, is not explained", async () => {
    await repositories.members.link(OTHER_GUILD, BOB, { robloxUserId: 900, robloxUsername: "Elsewhere", verifiedBy: "oauth" });
    expect(await explanations.explain(GUILD, BOB)).toBeUndefined();
    expect(await explanations.explain(GUILD, BOT)).toBeUndefined();
  });
});
