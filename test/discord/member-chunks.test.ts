/**
 * The gateway member reader: which op 8 requests it sends for the members wanted, what it keeps of
 * each chunk, and that the members kept are parsed (a wanted member without roles is a typed error)
 * while members nobody wants are only looked at for their id. The requests themselves go against
 * the emulator in test/sync/compact-member-state.test.ts and member-snapshots.test.ts.
 */
import { describe, expect, test } from "bun:test";
import type { Client } from "@discordjs/core";
import { gatewayMemberRoles } from "../../src/discord/member-chunks.ts";
import { DiscordMalformedAnswerError } from "../../src/discord/schemas.ts";

const GUILD = "100000000000000001";
const member = (id: string, roles: unknown = ["200000000000000001"]) => ({ user: { id, username: `u${id}` }, roles, joined_at: "2026-01-01T00:00:00Z" });
const withoutRoles = (id: string) => ({ user: { id, username: `u${id}` } });
const ids = (count: number, from = 300_000_000_000_000_000n) => Array.from({ length: count }, (_, i) => String(from + BigInt(i)));

/** A stand-in client: answers every op 8 with `chunks` (all members) or the asked-for users, and records the requests. */
function fakeClient(chunks: unknown[][]) {
  const requests: Record<string, unknown>[] = [];
  const client = {
    async *requestGuildMembersIterator(options: Record<string, unknown>) {
      requests.push(options);
      if (Array.isArray(options.user_ids)) {
        yield { members: (options.user_ids as string[]).map((id) => member(id)) };
        return;
      }
      for (const members of chunks) yield { members };
    },
  } as unknown as Client;
  return { client, requests };
}

async function read(client: Client, wanted?: ReadonlySet<string>) {
  const out: { userId: string; roleIds: readonly string[]; name?: { nick: string | null; discordName: string } }[] = [];
  for await (const chunk of gatewayMemberRoles(client)(GUILD, wanted)) out.push(...chunk);
  return out;
}

describe("gatewayMemberRoles", () => {
  test("up to 1,000 wanted members are asked for by user id, 100 a request; more read the all-members stream", async () => {
    const few = fakeClient([]);
    const wanted = new Set(ids(250));
    expect((await read(few.client, wanted)).map((m) => m.userId)).toEqual([...wanted]);
    expect(few.requests.map((r) => (r.user_ids as string[]).length)).toEqual([100, 100, 50]);
    expect(few.requests.every((r) => r.query === undefined && r.guild_id === GUILD)).toBe(true);

    const many = new Set(ids(1_001));
    const all = fakeClient([[...many].slice(0, 600).map((id) => member(id)), [...many].slice(600).map((id) => member(id))]);
    expect(await read(all.client, many)).toHaveLength(1_001);
    expect(all.requests).toEqual([{ guild_id: GUILD, query: "", limit: 0 }]);
  });

  test("only the wanted members of a chunk are kept; the others are not validated", async () => {
    const wanted = new Set(ids(1_001));
    const [a, b] = [...wanted];
    const { client } = fakeClient([[member(a!), withoutRoles("999999999999999999"), { user: { id: "888888888888888888" }, roles: "not a list" }, member(b!, [])]]);
    expect(await read(client, wanted)).toEqual([
      { userId: a!, roleIds: ["200000000000000001"], name: { nick: null, discordName: `u${a}` } },
      { userId: b!, roleIds: [], name: { nick: null, discordName: `u${b}` } },
    ]);
  });

  test("a wanted member without roles, or a member whose id cannot be read, is a typed error naming the chunk", async () => {
    const wanted = new Set(ids(1_001));
    const [a] = [...wanted];
    const rolesMissing = fakeClient([[withoutRoles(a!)]]);
    const error = await read(rolesMissing.client, wanted).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DiscordMalformedAnswerError);
    expect((error as DiscordMalformedAnswerError).endpoint).toBe("gateway GUILD_MEMBERS_CHUNK");
    expect((error as DiscordMalformedAnswerError).field).toContain("roles");

    const withoutUser = fakeClient([[member(a!), { roles: [] }]]);
    await expect(read(withoutUser.client, wanted)).rejects.toBeInstanceOf(DiscordMalformedAnswerError);
  });

  test("without a wanted set every member is read and parsed", async () => {
    const { client } = fakeClient([[member("1"), member("2", [])]]);
    expect(await read(client)).toEqual([
      { userId: "1", roleIds: ["200000000000000001"], name: { nick: null, discordName: "u1" } },
      { userId: "2", roleIds: [], name: { nick: null, discordName: "u2" } },
    ]);
    // The nickname and the global name come along for nickname templates.
    const named = fakeClient([[{ ...member("3"), nick: "Sarge", user: { id: "3", username: "u3", global_name: "Third" } }]]);
    expect(await read(named.client)).toEqual([{ userId: "3", roleIds: ["200000000000000001"], name: { nick: "Sarge", discordName: "Third" } }]);
    const broken = fakeClient([[withoutRoles("1")]]);
    await expect(read(broken.client)).rejects.toBeInstanceOf(DiscordMalformedAnswerError);
  });
});
