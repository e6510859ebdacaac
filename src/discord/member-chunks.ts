/**
 * Guild members' roles from the gateway (op 8 REQUEST_GUILD_MEMBERS), chunk by chunk, reduced as
 * each chunk arrives to the members the caller wants: nothing of a chunk is kept after it was read.
 *
 * A few wanted members are asked for by `user_ids` (at most 100 a request, and outside Discord's
 * one-all-members-request-per-guild-per-30-s limit); more than a few are read from the all-members
 * request, which streams the guild 1000 members a chunk.
 */
import type { Client } from "@discordjs/core";

/** One chunk as the sync reads it: user ids and their role ids. */
export type MemberRoleChunk = { readonly userId: string; readonly roleIds: readonly string[] }[];

/** Discord's cap on `user_ids` in one op 8 request. */
const USER_IDS_PER_REQUEST = 100;
/**
 * Up to this many `user_ids` requests instead of one all-members request. Each is one gateway send
 * of the 120 a connection may make a minute (heartbeats included), so a few, not hundreds.
 */
const MAX_USER_ID_REQUESTS = 10;

export function gatewayMemberRoles(client: Client) {
  return async function* memberRoles(guildId: string, wanted?: ReadonlySet<string>): AsyncGenerator<MemberRoleChunk> {
    if (wanted && wanted.size <= USER_IDS_PER_REQUEST * MAX_USER_ID_REQUESTS) {
      const ids = [...wanted];
      for (let start = 0; start < ids.length; start += USER_IDS_PER_REQUEST) {
        const user_ids = ids.slice(start, start + USER_IDS_PER_REQUEST);
        for await (const { members } of client.requestGuildMembersIterator({ guild_id: guildId, user_ids })) {
          yield members.map((member) => ({ userId: member.user.id, roleIds: member.roles }));
        }
      }
      return;
    }
    for await (const { members } of client.requestGuildMembersIterator({ guild_id: guildId, query: "", limit: 0 })) {
      const kept: MemberRoleChunk = [];
      for (const member of members) {
        if (!wanted || wanted.has(member.user.id)) kept.push({ userId: member.user.id, roleIds: member.roles });
      }
      yield kept;
    }
  };
}
