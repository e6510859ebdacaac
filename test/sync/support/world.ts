/**
 * A seeded pair of emulators for sync tests and the benchmark: a Roblox group with a military
 * ladder, a Discord guild whose rank roles mirror it, linked members, and a known share of them
 * whose Discord rank disagrees with Roblox.
 */
import type { Repositories } from "../../../src/db/index.ts";
import { startDiscordEmulator, type DiscordEmulator } from "../../emulators/discord/index.ts";
import { discordValidator, robloxValidator } from "../../support/openapi.ts";
import { defaultRoles, startRobloxEmulator, type RobloxApiClass, type RobloxEmulator } from "../../emulators/roblox/index.ts";

export interface WorldSpec {
  /** Roblox group members (the linked ones included). */
  groupSize: number;
  /** Discord guild members (the linked ones included). */
  guildSize: number;
  linked: number;
  /** Share of linked members whose Discord rank is wrong. */
  mismatchedShare: number;
  /** Discord rate-limit windows are multiplied by this (0.05 = twenty times faster). */
  timeScale: number;
  /** Roblox rate-limit window (60 s for real; scaled down with the Discord windows). */
  robloxWindowMs: number;
  /** Requests per Roblox window by API class; default the documented per-minute limits. */
  robloxLimits?: Partial<Record<RobloxApiClass, number>>;
  recordDiscordRequests?: boolean;
  /** The Discord emulator's pace for all-members chunks (default: as fast as the bot reads). */
  memberChunksPerSecond?: number;
  recordRobloxRequests?: boolean;
  /**
   * Another Roblox group (an ally a range bind names): `groupSize` members, of whom the first
   * `linkedShare` of the linked members, spread over its ranks. Absent: no such group.
   */
  ally?: { groupSize: number; linkedShare: number };
  /**
   * The guild has an unverified role (and its verified role set): every unlinked member, who holds
   * neither, is given it by a whole-guild sync. Absent: no unverified role.
   */
  unverifiedRole?: boolean;
}

export interface LinkedMember {
  discordId: string;
  robloxUserId: number;
  robloxUsername: string;
  /** The Roblox role they hold: where they should end up. */
  robloxRoleId: number;
}

export interface World {
  readonly discord: DiscordEmulator;
  readonly roblox: RobloxEmulator;
  readonly guildId: string;
  readonly groupId: number;
  readonly apiKey: string;
  readonly ownerId: string;
  /** Roblox role id → Discord role id, for every ladder rank that is shown in Discord. */
  readonly rankRoles: Map<number, string>;
  /** A role that is not a rank: sync must never touch it. */
  readonly verifiedRoleId: string;
  readonly ladder: { name: string; robloxRoleId: number; robloxRank: number; discordRoleId: string | null }[];
  readonly linked: LinkedMember[];
  /** Discord ids of linked members seeded with a wrong rank. */
  readonly mismatched: Set<string>;
  /** The ally group (`WorldSpec.ally`), or null. */
  readonly allyGroupId: number | null;
  /** With an ally group: the Discord role a range bind gives its members (ranks 1-253), and the guild's verified role is set. */
  readonly allyRoleId: string | null;
  /** With `WorldSpec.unverifiedRole`: the guild's unverified role (set with the verified role). */
  readonly unverifiedRoleId: string | null;
  close(): Promise<void>;
}

export const GROUP_ID = 4_200_017;
export const ALLY_GROUP_ID = 4_200_018;
const BOT_ROBLOX_USER_ID = 77;

/** Deterministic, so a failing run can be reproduced. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The Roblox side of a sync world: the group `GROUP_ID`, the bot's account (rank 254, may change
 * ranks) and its API key, and members up to `groupSize` (the owner and the bot included).
 */
export function seedBotGroup(roblox: RobloxEmulator, options: { name: string; apiKey: string; groupSize: number }) {
  roblox.addUser({ id: 1, name: "GroupOwner" });
  roblox.addUser({ id: BOT_ROBLOX_USER_ID, name: "RankBridgeBot" });
  const roles = defaultRoles(GROUP_ID);
  roblox.createGroup({ id: GROUP_ID, name: options.name, ownerId: 1, roles });
  roblox.setMembership(GROUP_ID, BOT_ROBLOX_USER_ID, GROUP_ID * 1000 + 2);
  roblox.addApiKey(options.apiKey, { ownerUserId: BOT_ROBLOX_USER_ID, scopes: ["group:read", "group:write"] });
  return { roles, robloxIds: roblox.bulkSeed(GROUP_ID, options.groupSize - 2) };
}

export async function createWorld(spec: WorldSpec): Promise<World> {
  const roblox = await startRobloxEmulator({
    rateLimits: { windowMs: spec.robloxWindowMs, ...(spec.robloxLimits ? { perMinute: spec.robloxLimits } : {}) },
    record: spec.recordRobloxRequests ?? true,
  });
  const discord = await startDiscordEmulator({
    timeScale: spec.timeScale,
    heartbeatIntervalMs: 5_000,
    memberChunksPerSecond: spec.memberChunksPerSecond,
    recordRequests: spec.recordDiscordRequests ?? true,
  });
  const random = mulberry32(20_260_101);

  const apiKey = "sync-test-key";
  const { roles, robloxIds } = seedBotGroup(roblox, { name: "Sync Test Army", apiKey, groupSize: spec.groupSize });

  // Discord: one role per rank below the bot's own role (Owner and the bot's rank are not shown).
  const guild = discord.createGuild({ name: "Sync Test Army" });
  const ladderRoles = roles.filter((role) => role.rank > 0).sort((a, b) => a.rank - b.rank);
  const rankRoles = new Map<number, string>();
  const ladder: World["ladder"] = [];
  for (const role of ladderRoles) {
    const shown = role.rank < 254;
    const discordRoleId = shown ? discord.createRole(guild.id, { name: role.name }).id : null;
    if (discordRoleId) rankRoles.set(role.id, discordRoleId);
    ladder.push({ name: role.name, robloxRoleId: role.id, robloxRank: role.rank, discordRoleId });
  }
  const verifiedRoleId = discord.createRole(guild.id, { name: "Verified" }).id;
  const shownRoleIds = [...rankRoles.values()];

  // Linked members: the first `linked` group members, each in the guild.
  const linked: LinkedMember[] = [];
  const mismatched = new Set<string>();
  const mismatchCount = Math.round(spec.linked * spec.mismatchedShare);
  const mismatchAt = new Set<number>();
  while (mismatchAt.size < mismatchCount) mismatchAt.add(Math.floor(random() * spec.linked));

  const discordIds = discord.addMembers(guild.id, spec.linked, {
    usernamePrefix: "linked",
    roles: (index) => {
      const robloxUserId = robloxIds[index]!;
      const roleId = roblox.membership(GROUP_ID, robloxUserId)!.roleId;
      const right = rankRoles.get(roleId)!;
      if (!mismatchAt.has(index)) return [verifiedRoleId, right];
      // Three kinds of disagreement: a wrong rank, no rank, two ranks.
      const wrong = shownRoleIds.filter((id) => id !== right)[Math.floor(random() * (shownRoleIds.length - 1))]!;
      const kind = index % 3;
      return kind === 0 ? [verifiedRoleId, wrong] : kind === 1 ? [verifiedRoleId] : [verifiedRoleId, wrong, right];
    },
  });
  discordIds.forEach((discordId, index) => {
    const robloxUserId = robloxIds[index]!;
    linked.push({
      discordId,
      robloxUserId,
      robloxUsername: `Player${robloxUserId}`,
      robloxRoleId: roblox.membership(GROUP_ID, robloxUserId)!.roleId,
    });
    if (mismatchAt.has(index)) mismatched.add(discordId);
  });
  // Unlinked members fill the guild; some hold rank roles, which sync must leave alone.
  const unlinked = Math.max(0, spec.guildSize - spec.linked - 2);
  discord.addMembers(guild.id, unlinked, {
    usernamePrefix: "guest",
    roles: (index) => (index % 4 === 0 ? [shownRoleIds[index % shownRoleIds.length]!] : []),
  });

  if (spec.ally) seedAlly(roblox, spec.ally, linked);
  const allyRoleId = spec.ally ? discord.createRole(guild.id, { name: "Ally" }).id : null;
  const unverifiedRoleId = spec.unverifiedRole ? discord.createRole(guild.id, { name: "Unverified" }).id : null;

  return {
    discord,
    roblox,
    guildId: guild.id,
    groupId: GROUP_ID,
    allyGroupId: spec.ally ? ALLY_GROUP_ID : null,
    allyRoleId,
    unverifiedRoleId,
    apiKey,
    ownerId: guild.ownerId,
    rankRoles,
    verifiedRoleId,
    ladder,
    linked,
    mismatched,
    async close() {
      await Promise.allSettled([discord.close(), roblox.close()]);
    },
  };
}

/** The ally group: the first share of the linked members over its ranks below the bot's, then strangers up to its size. */
function seedAlly(roblox: RobloxEmulator, ally: NonNullable<WorldSpec["ally"]>, linked: LinkedMember[]): void {
  const roles = defaultRoles(ALLY_GROUP_ID);
  roblox.createGroup({ id: ALLY_GROUP_ID, name: "Allied Navy", ownerId: 1, roles });
  const ranks = roles.filter((role) => role.rank > 0 && role.rank < 254);
  const members = linked.slice(0, Math.round(linked.length * ally.linkedShare));
  members.forEach((member, index) => {
    roblox.setMembership(ALLY_GROUP_ID, member.robloxUserId, ranks[index % ranks.length]!.id);
  });
  roblox.bulkSeed(ALLY_GROUP_ID, Math.max(0, ally.groupSize - members.length - 1));
}

/**
 * The bot's database as it stands before the sync: the ladder bound to the Discord roles, every
 * link, and stored ranks that follow what Discord shows (so mismatched members are stale there too).
 */
export async function seedDatabase(repositories: Repositories, world: World): Promise<void> {
  await repositories.guilds.upsert(world.guildId, { robloxGroupId: world.groupId });
  if (world.allyGroupId !== null && world.allyRoleId !== null) {
    // The binds a community with an ally sets up: a range on the ally group, and its verified role.
    await repositories.guilds.upsert(world.guildId, { verifiedRoleId: world.verifiedRoleId });
    await repositories.binds.add(world.guildId, { kind: "range", groupId: world.allyGroupId, minRank: 1, maxRank: 253 }, [world.allyRoleId]);
  }
  if (world.unverifiedRoleId !== null) {
    await repositories.guilds.upsert(world.guildId, { verifiedRoleId: world.verifiedRoleId, unverifiedRoleId: world.unverifiedRoleId });
  }
  const { ladder } = await repositories.ranks.replace(
    world.guildId,
    world.ladder.map((rank) => ({ name: rank.name, robloxRoleId: rank.robloxRoleId, robloxRank: rank.robloxRank, discordRoleId: rank.discordRoleId })),
  );
  const rankIdByRoblox = new Map(ladder.map((rank) => [rank.robloxRoleId, rank.id]));
  for (const member of world.linked) {
    await repositories.members.link(world.guildId, member.discordId, {
      robloxUserId: member.robloxUserId,
      robloxUsername: member.robloxUsername,
      verifiedBy: "profile-phrase",
    });
    if (!world.mismatched.has(member.discordId)) {
      await repositories.members.setStoredRank(world.guildId, member.discordId, rankIdByRoblox.get(member.robloxRoleId) ?? null);
    }
  }
}

/** Linked members whose Discord rank roles are not exactly their Roblox rank's role (plus Verified kept). */
export function disagreements(world: World): LinkedMember[] {
  const rankRoleIds = new Set(world.rankRoles.values());
  return world.linked.filter((member) => {
    const roles = world.discord.memberRoleIds(world.guildId, member.discordId) ?? [];
    const held = roles.filter((id) => rankRoleIds.has(id));
    const wanted = world.rankRoles.get(world.roblox.membership(world.groupId, member.robloxUserId)?.roleId ?? -1);
    return held.length !== 1 || held[0] !== wanted || !roles.includes(world.verifiedRoleId);
  });
}

/** Requests either emulator received that do not conform to the vendor's OpenAPI document. */
export function requestsBreakingSpecs(world: World): string[] {
  const discord = discordValidator();
  const roblox = robloxValidator();
  return [
    ...world.discord.requests.map((r) => ({ what: `${r.method} ${r.path}`, result: discord.validate({ method: r.method, url: r.path, headers: r.headers, body: r.body }) })),
    ...world.roblox.requests.map((r) => ({ what: `${r.method} ${r.url}`, result: roblox.validate(r) })),
  ]
    .filter(({ result }) => !result.ok)
    .map(({ what, result }) => `${what}: ${result.errors.join("; ")}`);
}
