/**
 * Guild members' roles from the gateway (op 8 REQUEST_GUILD_MEMBERS), chunk by chunk, reduced as
 * each chunk arrives to the members the caller wants: nothing of a chunk is kept after it was read.
 *
 * A few wanted members are asked for by `user_ids` (at most 100 a request, and outside Discord's
 * one-all-members-request-per-guild-per-30-s limit); more than a few are read from the all-members
 * request, which streams the guild 1000 members a chunk.
 *
 * The members kept are parsed (schemas.ts): a member without its roles would read as "holds no
 * rank", so it is a typed error, never a default. Members nobody wants are only looked at for
 * their id, so a 1,000,000-member guild is not validated member by member.
 */
import type { Client } from "@discordjs/core";
import { discordMemberChunk, parseDiscord } from "./schemas.ts";

/** One chunk as the sync reads it: user ids and their role ids. */
export type MemberRoleChunk = {
  readonly userId: string;
  readonly roleIds: readonly string[];
  readonly name: { readonly nick: string | null; readonly discordName: string };
}[];

const ENDPOINT = "gateway GUILD_MEMBERS_CHUNK";
/** Discord's cap on `user_ids` in one op 8 request. */
const USER_IDS_PER_REQUEST = 100;
/**
 * Up to this many `user_ids` requests instead of one all-members request. Each is one gateway send
 * of the 120 a connection may make a minute (heartbeats included), so a few, not hundreds.
 */
const MAX_USER_ID_REQUESTS = 10;

/** The chunk's members as the sync reads them, parsed. */
function rolesOf(members: unknown): MemberRoleChunk {
  return parseDiscord(ENDPOINT, discordMemberChunk, members).map((member) => ({
    userId: member.user.id,
    roleIds: member.roles,
    name: { nick: member.nick ?? null, discordName: member.user.global_name ?? member.user.username },
  }));
}

/** Members kept by their roles besides the wanted ones (the sync's MemberKeep). */
interface KeepByRoles {
  keep(roleIds: readonly string[]): boolean;
}

/**
 * The wanted members of a chunk (and those `also` keeps by their roles), parsed; a member whose id
 * or roles cannot be read fails the whole chunk.
 */
function wantedOf(members: unknown, wanted: ReadonlySet<string>, also?: KeepByRoles): MemberRoleChunk {
  if (!Array.isArray(members)) return rolesOf(members);
  const kept: unknown[] = [];
  for (const member of members) {
    const raw = member as { user?: { id?: unknown; bot?: unknown }; roles?: unknown } | null;
    const id = raw?.user?.id;
    // Whether they are wanted cannot be told: parsing the whole chunk names the fault.
    if (typeof id !== "string") return rolesOf(members);
    if (wanted.has(id)) kept.push(member);
    // Other bots never link, so the verified and unverified roles are not theirs to hold or lack.
    else if (also && raw?.user?.bot !== true) {
      const roles = raw?.roles;
      if (!Array.isArray(roles) || !roles.every((role) => typeof role === "string")) return rolesOf(members);
      if (also.keep(roles)) kept.push(member);
    }
  }
  return rolesOf(kept);
}

export function gatewayMemberRoles(client: Client) {
  return async function* memberRoles(guildId: string, wanted?: ReadonlySet<string>, also?: KeepByRoles): AsyncGenerator<MemberRoleChunk> {
    // Members kept by their roles can be anyone: only the all-members request finds them.
    if (wanted && !also && wanted.size <= USER_IDS_PER_REQUEST * MAX_USER_ID_REQUESTS) {
      const ids = [...wanted];
      for (let start = 0; start < ids.length; start += USER_IDS_PER_REQUEST) {
        const user_ids = ids.slice(start, start + USER_IDS_PER_REQUEST);
        for await (const { members } of client.requestGuildMembersIterator({ guild_id: guildId, user_ids })) yield rolesOf(members);
      }
      return;
    }
    for await (const { members } of client.requestGuildMembersIterator({ guild_id: guildId, query: "", limit: 0 })) {
      yield wanted ? wantedOf(members, wanted, also) : rolesOf(members);
    }
  };
}
