/**
 * The bot as the real process composes it (src/app.ts), against both emulators over real sockets,
 * for the linking feature: a Roblox group whose ranks are named like a military RP group
 * ("E1 | Soldier"), a Discord guild with a role per rank, a temporary database file (seeded through the harness's own connection), and the
 * interaction router driving the commands.
 */
import { expect } from "bun:test";
import type { API } from "@discordjs/core";
import { type ButtonStyle, ComponentType, InteractionType, type APIMessage } from "discord-api-types/v10";
import type { Hono } from "hono";
import type { RankbridgeOptions } from "../../src/app.ts";
import type { Repositories } from "../../src/db/index.ts";
import type { SlashCommand } from "../../src/discord/commands/types.ts";
import type { RateLimitOptions } from "../../src/roblox/limits.ts";
import type { DiscordEmulator, InjectedInteraction } from "../emulators/discord/index.ts";
import type { NewRole, RobloxEmulator } from "../emulators/roblox/index.ts";
import { createInProcessBot, emulatorEnv } from "../support/in-process-bot.ts";
import { specProblems } from "../support/spec-check.ts";

export const GROUP_ID = 4_372_001;
export const API_KEY = "linking-test-key";
export const OAUTH_CLIENT = { id: "7290610397987934964", secret: "RBX-oauth-test-secret" };
export const MAX_RETRIES = 2;

/** Role ids are `GROUP_ID * 10 + n`; the ladder is every role but Guest. */
export const ROLE = {
  guest: GROUP_ID * 10 + 0,
  recruit: GROUP_ID * 10 + 1,
  soldier: GROUP_ID * 10 + 2,
  corporal: GROUP_ID * 10 + 3,
  rankingBot: GROUP_ID * 10 + 4,
  owner: GROUP_ID * 10 + 5,
} as const;

const GROUP_ROLES: NewRole[] = [
  { id: ROLE.guest, name: "Guest", rank: 0 },
  { id: ROLE.recruit, name: "E0 | Recruit", rank: 1 },
  { id: ROLE.soldier, name: "E1 | Soldier", rank: 3 },
  { id: ROLE.corporal, name: "E2 | Corporal", rank: 10 },
  { id: ROLE.rankingBot, name: "Ranking Bot", rank: 254 },
  { id: ROLE.owner, name: "Owner", rank: 255 },
];

let nextRobloxUserId = 50_000_000;

/** Emulator-wide setup done once per test file: the group, its owner and the API key's account. */
export function seedRoblox(roblox: RobloxEmulator): void {
  roblox.addUser({ id: 1_000_001, name: "ClanFounder" });
  roblox.createGroup({ id: GROUP_ID, name: "Task Force", ownerId: 1_000_001, roles: GROUP_ROLES });
  roblox.addUser({ id: 1_000_002, name: "TaskForceBot" });
  roblox.setMembership(GROUP_ID, 1_000_002, ROLE.rankingBot);
  roblox.addApiKey(API_KEY, { ownerUserId: 1_000_002, scopes: ["group:read", "group:write"] });
}

/** A fresh Roblox account (ids and names never repeat across tests sharing an emulator). */
export function robloxPlayer(roblox: RobloxEmulator, options: { roleId?: number | null; description?: string; created?: string; displayName?: string } = {}) {
  const id = nextRobloxUserId++;
  const name = `Trooper_${id}`;
  roblox.addUser({ id, name, description: options.description ?? "I like trains.", created: options.created, ...(options.displayName && { displayName: options.displayName }) });
  const roleId = options.roleId === undefined ? ROLE.soldier : options.roleId;
  if (roleId !== null) roblox.setMembership(GROUP_ID, id, roleId);
  return { id, name };
}

export interface World {
  discord: DiscordEmulator;
  roblox: RobloxEmulator;
  guildId: string;
  channelId: string;
  /** Discord role bound to each ladder rank. */
  rankRole: { recruit: string; soldier: string; corporal: string };
  /** A role outside the ladder that linking must never touch. */
  otherRoleId: string;
  /** The harness's own connection to the bot's database file. */
  repositories: Repositories;
  /** The linking commands, as the bot registers them. */
  commands: SlashCommand[];
  api: API;
  clock: { now: number };
  http?: { url: string; app: Hono };
  addMember(roleIds?: string[]): string;
  /** Moves a role to the top, above the bot's, and sends the bot the gateway's GUILD_ROLE_UPDATE for each role. */
  moveRoleAboveBot(roleId: string): void;
  /** Runs a slash command through the router; resolves when the handler finished. */
  command(userId: string, name: string, options?: { name: string; type: number; value: string }[]): Promise<InjectedInteraction>;
  /** The same, handing back the interaction at once and the handler's end as `done`. */
  startCommand(userId: string, name: string, options?: { name: string; type: number; value: string }[]): { interaction: InjectedInteraction; done: Promise<void> };
  /** Presses the "I've added it" button on `message`. */
  pressConfirm(userId: string, message: APIMessage): Promise<InjectedInteraction>;
  /** The message as it stands now in the channel (edits applied). */
  messageNow(id: string): APIMessage;
  close(): Promise<void>;
}

export interface WorldOptions {
  /** Serve the OAuth callback on a real port and configure "Sign in with Roblox". */
  oauth?: boolean;
  /** Per-member and per-guild command budgets (the bot's defaults otherwise). */
  cooldowns?: RankbridgeOptions["cooldowns"];
  /** Roblox rate-limit options of the bot (e.g. a legacy window scaled like the emulator's). */
  robloxRateLimits?: RateLimitOptions;
}

export async function createWorld(discord: DiscordEmulator, roblox: RobloxEmulator, options: WorldOptions = {}): Promise<World> {
  const guild = discord.createGuild({ name: "Task Force" });
  // Created after the guild, so below the bot's role: the bot may manage them.
  const rankRole = {
    recruit: discord.createRole(guild.id, { name: "E0 | Recruit" }).id,
    soldier: discord.createRole(guild.id, { name: "E1 | Soldier" }).id,
    corporal: discord.createRole(guild.id, { name: "E2 | Corporal" }).id,
  };
  const otherRoleId = discord.createRole(guild.id, { name: "Event Host" }).id;

  const clock = { now: Date.now() };
  // The callback must be reachable before the bot knows its public URL: listen first, mount after.
  let app: Hono | undefined;
  const server = options.oauth
    ? Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (request) => app!.fetch(request) })
    : undefined;
  const publicUrl = server ? `http://127.0.0.1:${server.port}` : undefined;
  // Registering again replaces the client, so its one redirect URI is this world's callback.
  if (publicUrl) roblox.addOAuthClient(OAUTH_CLIENT.id, OAUTH_CLIENT.secret, [`${publicUrl}/oauth/callback`]);

  const inProcess = createInProcessBot({
    env: {
      ...emulatorEnv(discord, roblox),
      ROBLOX_API_KEY: API_KEY,
      ...(publicUrl ? { ROBLOX_OAUTH_CLIENT_ID: OAUTH_CLIENT.id, ROBLOX_OAUTH_CLIENT_SECRET: OAUTH_CLIENT.secret, PUBLIC_URL: publicUrl } : {}),
    },
    logLevel: "silent",
    options: {
      discordRest: { offsetMs: 0 },
      roblox: {
        retry: { maxRetries: MAX_RETRIES, baseDelayMs: 5, maxDelayMs: 20 },
        ...(options.robloxRateLimits ? { rateLimits: options.robloxRateLimits } : {}),
      },
      now: () => clock.now,
      cooldowns: options.cooldowns,
    },
  });
  const { bot } = inProcess;
  inProcess.standIn(discord.botUserId);
  if (publicUrl) app = bot.httpApp;

  const { api } = bot.parts;
  const { repositories } = inProcess.storage;
  await repositories.guilds.upsert(guild.id, { robloxGroupId: GROUP_ID });
  await repositories.ranks.replace(guild.id, [
    { name: "E0 | Recruit", robloxRoleId: ROLE.recruit, robloxRank: 1, discordRoleId: rankRole.recruit },
    { name: "E1 | Soldier", robloxRoleId: ROLE.soldier, robloxRank: 3, discordRoleId: rankRole.soldier },
    { name: "E2 | Corporal", robloxRoleId: ROLE.corporal, robloxRank: 10, discordRoleId: rankRole.corporal },
    { name: "Ranking Bot", robloxRoleId: ROLE.rankingBot, robloxRank: 254, discordRoleId: null },
    { name: "Owner", robloxRoleId: ROLE.owner, robloxRank: 255, discordRoleId: null },
  ]);
  const commands = bot.commands.linking;

  const world: World = {
    discord,
    roblox,
    guildId: guild.id,
    channelId: guild.systemChannelId,
    rankRole,
    otherRoleId,
    repositories,
    commands,
    api,
    clock,
    ...(publicUrl && app ? { http: { url: publicUrl, app } } : {}),
    addMember(roleIds = []) {
      return discord.addMember(guild.id, { roles: roleIds }).user.id;
    },
    moveRoleAboveBot(roleId) {
      discord.updateRole(guild.id, roleId, { position: discord.roles(guild.id).length });
      inProcess.rolesUpdated(guild.id, discord.roles(guild.id));
    },
    async command(userId, name, commandOptions) {
      const { interaction, done } = world.startCommand(userId, name, commandOptions);
      await done;
      return interaction;
    },
    startCommand(userId, name, commandOptions) {
      const interaction = discord.injectInteraction({
        guildId: guild.id,
        userId,
        commandName: name,
        ...(commandOptions ? { options: commandOptions as never } : {}),
      });
      return { interaction, done: inProcess.handle(interaction.payload) };
    },
    async pressConfirm(userId, message) {
      const interaction = discord.injectInteraction({
        guildId: guild.id,
        userId,
        type: InteractionType.MessageComponent,
        customId: "link-roblox:confirm",
        componentType: ComponentType.Button,
        message: message.id,
      });
      await inProcess.handle(interaction.payload);
      return interaction;
    },
    messageNow(id) {
      const message = discord.channelMessages(guild.systemChannelId).find((m) => m.id === id);
      if (!message) throw new Error(`message ${id} is gone`);
      return message;
    },
    async close() {
      await server?.stop(true);
      await inProcess.close();
    },
  };
  return world;
}

export const usernameOption = (value: string) => [{ name: "username", type: 3, value }];

/** The reply of an interaction (its first message). */
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

/** The phrase shown inside the code span of the link-roblox embed. */
export function phraseOf(message: APIMessage): string {
  const phrase = /`([^`]+)`/.exec(message.embeds[0]?.description ?? "")?.[1];
  expect(phrase).toBeDefined();
  return phrase!;
}

export interface ShownButton {
  type: number;
  style?: ButtonStyle;
  label?: string;
  custom_id?: string;
  url?: string;
}

export function buttonsOf(message: APIMessage): ShownButton[] {
  return (message.components ?? []).flatMap((row): ShownButton[] => ("components" in row ? (row.components as ShownButton[]) : []));
}

/** Every request sent to either emulator conforms to the vendor's OpenAPI document (OAuth has none). */
export function expectRequestsMatchSpecs(world: World): void {
  expect(specProblems(world)).toEqual([]);
}
