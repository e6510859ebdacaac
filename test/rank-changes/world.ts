/**
 * The bot as the real process composes it (src/app.ts), against both emulators over real sockets,
 * for the rank-change feature: a Roblox group with a small military ladder, a Discord guild with a
 * role per rank, a temporary database file (seeded through the harness's own connection), the three services, and the interaction router driving the
 * commands.
 *
 * Each test builds its own world (guild, database, services) on emulators shared by the file, so
 * tests do not see each other's members or queued writes.
 */
import { expect } from "bun:test";
import {
  ApplicationCommandOptionType,
  ComponentType,
  InteractionType,
  PermissionFlagsBits,
  type APIMessage,
} from "discord-api-types/v10";
import type { Repositories } from "../../src/db/index.ts";
import type { Metrics } from "../../src/observability/metrics.ts";
import type { MemberSyncService } from "../../src/services/member-sync.ts";
import type { PendingWriteWorker, PendingWriteWorkerOptions } from "../../src/services/pending-writes.ts";
import type { DiscordEmulator, InjectedInteraction } from "../emulators/discord/index.ts";
import type { NewRole, RobloxEmulator } from "../emulators/roblox/index.ts";
import { createInProcessBot, emulatorEnv, type LogLine } from "../support/in-process-bot.ts";
import { specProblems } from "../support/spec-check.ts";

export type { LogLine } from "../support/in-process-bot.ts";

export const GROUP_ID = 5_120_003;
export const API_KEY = "rank-changes-test-key";
const FOUNDER = { id: 2_000_001, name: "RegimentFounder" };
const RANK_BOT = { id: 2_000_002, name: "RegimentBot" };

/** Roblox role ids are `GROUP_ID * 10 + n`; deliberately not in rank order. */
export const ROBLOX_ROLE = {
  guest: GROUP_ID * 10 + 0,
  recruit: GROUP_ID * 10 + 1,
  private: GROUP_ID * 10 + 5,
  corporal: GROUP_ID * 10 + 3,
  sergeant: GROUP_ID * 10 + 7,
  colonel: GROUP_ID * 10 + 2,
  rankingBot: GROUP_ID * 10 + 8,
  owner: GROUP_ID * 10 + 9,
  /** A role of the group that is not on the ladder (multi-role groups: held beside a rank). */
  eventHost: GROUP_ID * 10 + 4,
} as const;

export type RankKey = "recruit" | "private" | "corporal" | "sergeant" | "colonel";

/** Name, Roblox rank number and points needed, lowest first. */
export const LADDER: Record<RankKey, { name: string; robloxRank: number; points: number }> = {
  recruit: { name: "Recruit", robloxRank: 1, points: 0 },
  private: { name: "Private", robloxRank: 2, points: 0 },
  corporal: { name: "Corporal", robloxRank: 10, points: 50 },
  sergeant: { name: "Sergeant", robloxRank: 20, points: 100 },
  colonel: { name: "Colonel", robloxRank: 200, points: 0 },
};

const GROUP_ROLES: NewRole[] = [
  { id: ROBLOX_ROLE.guest, name: "Guest", rank: 0 },
  ...Object.entries(LADDER).map(([key, rank]) => ({ id: ROBLOX_ROLE[key as RankKey], name: rank.name, rank: rank.robloxRank })),
  { id: ROBLOX_ROLE.eventHost, name: "Event Host", rank: 50 },
  { id: ROBLOX_ROLE.rankingBot, name: "Ranking Bot", rank: 254 },
  { id: ROBLOX_ROLE.owner, name: "Owner", rank: 255 },
];

let nextRobloxUserId = 60_000_000;

/** Once per test file: the group, its founder, and the account behind the API key (rank 254). */
export function seedRoblox(roblox: RobloxEmulator): void {
  roblox.addUser(FOUNDER);
  roblox.createGroup({ id: GROUP_ID, name: "Regiment", ownerId: FOUNDER.id, roles: GROUP_ROLES });
  roblox.addUser(RANK_BOT);
  roblox.setMembership(GROUP_ID, RANK_BOT.id, ROBLOX_ROLE.rankingBot);
  roblox.addApiKey(API_KEY, { ownerUserId: RANK_BOT.id, scopes: ["group:read", "group:write"] });
}

export interface Member {
  discordId: string;
  robloxUserId: number;
  robloxUsername: string;
}

export interface World {
  discord: DiscordEmulator;
  roblox: RobloxEmulator;
  guildId: string;
  ownerId: string;
  /** Discord role bound to each rank. */
  rankRole: Record<RankKey, string>;
  /** A role outside the ladder that rank changes must leave alone. */
  otherRoleId: string;
  /** Gives Manage Roles: what makes someone a rank admin. */
  staffRoleId: string;
  repositories: Repositories;
  memberSync: MemberSyncService;
  worker: PendingWriteWorker;
  metrics: Metrics;
  logs: LogLine[];
  /** A linked member: Discord member with `discordRank`'s role (if any), Roblox member at `robloxRank` (null: not in the group). */
  linkedMember(options: { robloxRank?: RankKey | null; discordRank?: RankKey | null; storedRank?: RankKey | null; points?: number; extraRoleIds?: string[] }): Promise<Member>;
  /** A rank admin: Manage Roles through the staff role, holding `rank`'s role. */
  admin(rank: RankKey | null): string;
  /** Runs a slash command through the router; resolves when the handler finished. */
  command(userId: string, name: string, options?: Record<string, string>): Promise<InjectedInteraction>;
  autocomplete(userId: string, name: string, options: Record<string, string>, focused: string): Promise<InjectedInteraction>;
  /** Presses a button with `customId` on `message`. */
  press(userId: string, message: APIMessage, customId: string): Promise<InjectedInteraction>;
  rankIdOf(rank: RankKey): number;
  storedRankOf(discordId: string): Promise<RankKey | null>;
  robloxRankOf(robloxUserId: number): number | undefined;
  /** Requests the Discord emulator received for this guild's member roles. */
  memberPatches(): { path: string; body: unknown; status: number }[];
  close(): Promise<void>;
}

export interface WorldOptions {
  worker?: Partial<Pick<PendingWriteWorkerOptions, "pollIntervalMs" | "backoff">>;
  /** Roblox client retries per request; 0 makes each rank write exactly one request. */
  robloxRetries?: number;
}

export async function createWorld(discord: DiscordEmulator, roblox: RobloxEmulator, options: WorldOptions = {}): Promise<World> {
  const guild = discord.createGuild({ name: "Regiment HQ" });
  // Created after the guild, so below the bot's role: the bot may manage them.
  const rankRole = Object.fromEntries(
    (Object.keys(LADDER) as RankKey[]).map((key) => [key, discord.createRole(guild.id, { name: LADDER[key].name }).id]),
  ) as Record<RankKey, string>;
  const otherRoleId = discord.createRole(guild.id, { name: "Event Host" }).id;
  const staffRoleId = discord.createRole(guild.id, { name: "Staff", permissions: PermissionFlagsBits.ManageRoles }).id;

  const inProcess = createInProcessBot({
    // The operator's own server: its ranks are written with the operator's key (design §10).
    env: { ...emulatorEnv(discord, roblox), ROBLOX_API_KEY: API_KEY, HOME_GUILD_IDS: guild.id },
    logLevel: "debug",
    options: {
      discordRest: { offsetMs: 0 },
      roblox: {
        retry: { maxRetries: options.robloxRetries ?? 0, baseDelayMs: 2, maxDelayMs: 10 },
        // Every read goes to the emulator, so tests that change roles see the change at once.
        rolesCacheTtlMs: 0,
      },
      pendingWrites: {
        pollIntervalMs: options.worker?.pollIntervalMs ?? 20,
        backoff: { baseMs: 10, maxMs: 40, jitterRatio: 0.2, ...options.worker?.backoff },
      },
    },
  });
  // No gateway: the tests start the worker themselves, and it must consider this guild its own.
  inProcess.standIn(discord.botUserId);
  const { memberSync, metrics, pendingWrites: worker } = inProcess.bot.parts;
  const { repositories } = inProcess.storage;
  const logs = inProcess.logs;
  await repositories.guilds.upsert(guild.id, { robloxGroupId: GROUP_ID });
  await repositories.ranks.replace(guild.id, [
    ...(Object.keys(LADDER) as RankKey[]).map((key) => ({
      name: LADDER[key].name,
      robloxRoleId: ROBLOX_ROLE[key],
      robloxRank: LADDER[key].robloxRank,
      discordRoleId: rankRole[key],
      pointsRequired: LADDER[key].points,
    })),
    { name: "Ranking Bot", robloxRoleId: ROBLOX_ROLE.rankingBot, robloxRank: 254, discordRoleId: null },
    { name: "Owner", robloxRoleId: ROBLOX_ROLE.owner, robloxRank: 255, discordRoleId: null },
  ]);

  // Rank ids never change after the import: read them once.
  const ladder = await repositories.ranks.list(guild.id);
  const rankIdOf = (rank: RankKey) => ladder.find((stored) => stored.robloxRoleId === ROBLOX_ROLE[rank])!.id;
  const rankKeyOfId = (rankId: number | null): RankKey | null =>
    rankId === null ? null : ((Object.keys(LADDER) as RankKey[]).find((key) => rankIdOf(key) === rankId) ?? null);

  const run = async (interaction: InjectedInteraction) => {
    await inProcess.handle(interaction.payload);
    return interaction;
  };
  const optionList = (options: Record<string, string>, focused?: string) =>
    Object.entries(options).map(([name, value]) => ({
      name,
      type: name === "member" ? ApplicationCommandOptionType.User : ApplicationCommandOptionType.String,
      value,
      ...(name === focused ? { focused: true } : {}),
    }));

  let closed = false;
  return {
    discord,
    roblox,
    guildId: guild.id,
    ownerId: guild.ownerId,
    rankRole,
    otherRoleId,
    staffRoleId,
    repositories,
    memberSync,
    worker,
    metrics,
    logs,
    async linkedMember({ robloxRank = "private", discordRank = robloxRank, storedRank = robloxRank, points = 0, extraRoleIds = [] }) {
      const robloxUserId = nextRobloxUserId++;
      const robloxUsername = `Trooper_${robloxUserId}`;
      roblox.addUser({ id: robloxUserId, name: robloxUsername });
      if (robloxRank) roblox.setMembership(GROUP_ID, robloxUserId, ROBLOX_ROLE[robloxRank]);
      const roles = [...(discordRank ? [rankRole[discordRank]] : []), ...extraRoleIds];
      const discordId = discord.addMember(guild.id, { username: robloxUsername.toLowerCase(), roles }).user!.id;
      const linked = await repositories.members.link(guild.id, discordId, { robloxUserId, robloxUsername, verifiedBy: "profile-phrase" });
      if (!linked.ok) throw new Error("link failed");
      if (storedRank) await repositories.members.setStoredRank(guild.id, discordId, rankIdOf(storedRank));
      if (points > 0) await repositories.members.changePoints(guild.id, discordId, { op: "set", amount: points });
      return { discordId, robloxUserId, robloxUsername };
    },
    admin(rank) {
      const roles = [staffRoleId, ...(rank ? [rankRole[rank]] : [])];
      return discord.addMember(guild.id, { username: `admin${nextRobloxUserId++}`, roles }).user!.id;
    },
    command: (userId, name, options = {}) =>
      run(discord.injectInteraction({ guildId: guild.id, userId, commandName: name, options: optionList(options) as never })),
    autocomplete: (userId, name, options, focused) =>
      run(
        discord.injectInteraction({
          guildId: guild.id,
          userId,
          type: InteractionType.ApplicationCommandAutocomplete,
          commandName: name,
          options: optionList(options, focused) as never,
        }),
      ),
    press: (userId, message, customId) =>
      run(
        discord.injectInteraction({
          guildId: guild.id,
          userId,
          type: InteractionType.MessageComponent,
          customId,
          componentType: ComponentType.Button,
          message: message.id,
        }),
      ),
    rankIdOf,
    storedRankOf: async (discordId) => rankKeyOfId((await repositories.members.get(guild.id, discordId))?.rankId ?? null),
    robloxRankOf: (robloxUserId) => roblox.membership(GROUP_ID, robloxUserId)?.rank,
    memberPatches: () =>
      discord.requests
        .filter((r) => r.path.includes(`/guilds/${guild.id}/members/`) && r.method !== "GET")
        .map((r) => ({ path: r.path, body: r.body, status: r.status })),
    async close() {
      // Idempotent: afterEach closes the last world again when a test built none.
      if (closed) return;
      closed = true;
      await inProcess.close();
    },
  };
}

/** The reply of an interaction (its first message), as it stands now. */
export function replyOf(interaction: InjectedInteraction): APIMessage {
  const message = interaction.messages[0];
  expect(message).toBeDefined();
  return message!;
}

/** Everything a message shows, for content assertions. */
export function textOf(message: APIMessage): string {
  return [message.content, ...message.embeds.flatMap((e) => [e.title, e.description, ...(e.fields ?? []).flatMap((f) => [f.name, f.value])])]
    .filter(Boolean)
    .join("\n");
}

export function fieldOf(message: APIMessage, name: string): string | undefined {
  return message.embeds[0]?.fields?.find((field) => field.name === name)?.value;
}

export function buttonsOf(message: APIMessage): { custom_id?: string; label?: string }[] {
  const rows = (message.components ?? []) as { components?: { custom_id?: string; label?: string }[] }[];
  return rows.flatMap((row) => row.components ?? []);
}

/** Every request sent to either emulator conforms to the vendor's OpenAPI document. */
export function expectRequestsMatchSpecs(world: Pick<World, "discord" | "roblox">): void {
  expect(specProblems(world)).toEqual([]);
}

export { eventually } from "../support/eventually.ts";
