/**
 * The Discord answers the bot reads (guilds, roles, members, member chunks), parsed where they are
 * received: a missing or mistyped field is a typed error naming the endpoint and the field. A
 * member without `roles` read as "no roles" would have the sync give every rank back at once; a
 * role without `position` would make the hierarchy check wave through edits Discord refuses.
 */
import type { APIGuildMember, APIRole } from "discord-api-types/v10";
import { z } from "zod";
import { firstSchemaIssue } from "../errors/schema-issue.ts";

export class DiscordMalformedAnswerError extends Error {
  override readonly name = "DiscordMalformedAnswerError";
  readonly userMessage = "Discord sent an answer the bot didn't understand. Try again in a few minutes.";

  constructor(
    /** `GET /guilds/{id}/members/{id}`, or the gateway event. */
    readonly endpoint: string,
    /** The first missing or invalid field, as a dotted path (`roles.3.position`). */
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${endpoint}: field "${field}" ${problem}`);
  }
}

const snowflake = z.string().regex(/^\d{1,20}$/, "expected a snowflake");

export const discordRole = z.object({
  id: snowflake,
  name: z.string(),
  position: z.number().int(),
  managed: z.boolean(),
  permissions: z.string().regex(/^\d+$/, "expected a permission bit set"),
});

export const discordGuild = z.object({
  id: snowflake,
  name: z.string(),
  owner_id: snowflake,
  roles: z.array(discordRole),
});

export const discordUser = z.object({
  id: snowflake,
  username: z.string(),
  global_name: z.string().nullish(),
});

export const discordMember = z.object({
  user: discordUser,
  nick: z.string().nullish(),
  roles: z.array(snowflake),
});

export const discordRoles = z.array(discordRole);

/** A page of `GET /users/@me/guilds`: only the guilds' ids are read. */
export const discordGuildIds = z.array(z.object({ id: snowflake }));

/** A created DM channel: only its id is read. */
export const discordChannelRef = z.object({ id: snowflake });

/** A member edit's answer: only the role set and nickname it left the member with are read. */
export const discordEditedMember = z.object({ roles: z.array(z.string()), nick: z.string().nullish() });

/** A GUILD_MEMBERS_CHUNK's members: only who they are and which roles they hold. */
export const discordMemberChunk = z.array(
  z.object({
    user: z.object({ id: snowflake, username: z.string(), global_name: z.string().nullish() }),
    nick: z.string().nullish(),
    roles: z.array(snowflake),
  }),
);

/** Parses `value` or throws DiscordMalformedAnswerError. */
export function parseDiscord<Schema extends z.ZodType>(endpoint: string, schema: Schema, value: unknown): z.output<Schema> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const { field, problem } = firstSchemaIssue(parsed.error);
  throw new DiscordMalformedAnswerError(endpoint, field, problem);
}

/** The parsed shapes, typed as the library's own so the rest of the code keeps using them. */
export const asRole = (endpoint: string, value: unknown): APIRole => parseDiscord(endpoint, discordRole, value) as unknown as APIRole;
export const asMember = (endpoint: string, value: unknown): APIGuildMember =>
  parseDiscord(endpoint, discordMember, value) as unknown as APIGuildMember;
