/**
 * Reading what is new in a group's audit log since the feed's cursor, against the Roblox emulator
 * over real sockets (pages newest first, its retention making entries expire), plus the cases only
 * hand-made pages can pin down (several entries in one millisecond).
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { AuditLogEntry, AuditLogPage } from "../../src/roblox/audit-log-schema.ts";
import type { RobloxClient } from "../../src/roblox/client.ts";
import { entryKey, readNewEntries, type FeedCursor } from "../../src/sync/change-feed/new-entries.ts";
import { clientFor, GROUP_ID, ROLE, type RobloxEmulator, requestsTo, startWorld, USERS } from "../roblox/world.ts";

const AUDIT_KEY = "key-audit";
const CAPTAIN = { id: 30, name: "CaptainAmy" };
let rbx: RobloxEmulator;
let client: RobloxClient;

beforeEach(async () => {
  rbx = await startWorld();
  rbx.addUser(CAPTAIN);
  rbx.setMembership(GROUP_ID, CAPTAIN.id, ROLE.colonel);
  rbx.addApiKey(AUDIT_KEY, { ownerUserId: USERS.bot.id, scopes: ["group:read", "legacy-group:manage"] });
  client = clientFor(rbx, { apiKey: AUDIT_KEY });
});
afterEach(async () => {
  await client.close();
  await rbx.close();
});

const read = (cursor: FeedCursor | null, maxPages = 5) =>
  readNewEntries((pageCursor) => client.readAuditLog(GROUP_ID, { cursor: pageCursor, limit: 100 }), cursor, { maxPages });

const ranks = [ROLE.sergeant, ROLE.corporal];
function changeRanks(count: number): void {
  for (let i = 0; i < count; i++) rbx.changeRankAsUser(CAPTAIN.id, GROUP_ID, USERS.alice.id, ranks[i % 2]!);
}

describe("readNewEntries", () => {
  test("the first read starts at the newest entry and applies nothing; later reads return only what is new, oldest first", async () => {
    changeRanks(3);
    const started = await read(null);
    expect(started.kind).toBe("started");
    const cursor = started.cursor;
    expect(cursor.newestKeys.length).toBeGreaterThan(0);

    expect(await read(cursor)).toEqual({ kind: "entries", entries: [], cursor });
    rbx.changeRankAsUser(CAPTAIN.id, GROUP_ID, USERS.bob.id, ROLE.captain);
    rbx.removeMemberAsUser(CAPTAIN.id, GROUP_ID, USERS.alice.id);
    const next = await read(cursor);
    if (next.kind !== "entries") throw new Error(`expected entries, got ${next.kind}`);
    expect(next.entries.map((entry) => [entry.actionType, entry.target?.userId])).toEqual([
      ["ChangeRank", USERS.bob.id],
      ["RemoveMember", USERS.alice.id],
    ]);
    expect(next.cursor.newestCreatedAt).toBe(next.entries[1]!.created.getTime());
    // One page each of the three reads: each stops at the cursor.
    expect(requestsTo(rbx, "/audit-log", "GET").length).toBe(3);
  });

  test("a log that was empty at the start: every later entry is new and reaching the end is no gap", async () => {
    const started = await read(null);
    expect(started).toEqual({ kind: "started", cursor: { newestCreatedAt: 0, newestKeys: [] } });
    changeRanks(2);
    const next = await read(started.cursor);
    expect(next.kind).toBe("entries");
    expect(next.kind === "entries" && next.entries.length).toBe(2);
  });

  test("reads on page after page down to the cursor (250 changes: three pages)", async () => {
    const { cursor } = await read(null);
    changeRanks(250);
    rbx.requests.length = 0;
    const next = await read(cursor);
    expect(next.kind === "entries" && next.entries.length).toBe(250);
    expect(requestsTo(rbx, "/audit-log", "GET").length).toBe(3);
  });

  test("more changes than a poll reads is a gap (a full sync is cheaper); the cursor skips past them", async () => {
    const { cursor } = await read(null);
    changeRanks(250);
    const next = await read(cursor, 2);
    expect(next).toMatchObject({ kind: "gap", reason: "too-many" });
    expect(next.cursor.newestCreatedAt).toBeGreaterThan(cursor.newestCreatedAt);
    expect(await read(next.cursor)).toMatchObject({ kind: "entries", entries: [] });
  });

  test("entries older than the cursor no longer returned (expired) is a gap", async () => {
    changeRanks(2);
    const { cursor } = await read(null);
    await Bun.sleep(30);
    changeRanks(2);
    // Everything up to and including the cursor's entries expires; the two newer ones stay.
    rbx.setAuditLogRetention(Date.now() - cursor.newestCreatedAt - 10);
    expect(rbx.auditLog(GROUP_ID).length).toBe(2);
    const next = await read(cursor);
    expect(next).toMatchObject({ kind: "gap", reason: "dropped" });
  });
});

describe("readNewEntries with entries sharing a millisecond", () => {
  const at = new Date("2026-12-06T10:00:00.000Z");
  const entry = (userId: number, roleId: number, created = at): AuditLogEntry => ({
    actionType: "ChangeRank",
    robloxActionType: "ChangeRank",
    created,
    actor: { userId: CAPTAIN.id, username: CAPTAIN.name },
    target: { userId },
    newRole: { id: roleId },
  });
  const pages = (entries: AuditLogEntry[]) => async (): Promise<AuditLogPage> => ({ entries, nextPageCursor: null, previousPageCursor: null });

  test("an entry of the cursor's millisecond not seen before is new; those seen are not replayed", async () => {
    const seen = entry(10, ROLE.sergeant);
    const cursor: FeedCursor = { newestCreatedAt: at.getTime(), newestKeys: [entryKey(seen)] };
    const older = entry(11, ROLE.corporal, new Date(at.getTime() - 5));
    const sameMs = entry(12, ROLE.captain);
    const later = entry(10, ROLE.captain, new Date(at.getTime() + 1));
    const next = await readNewEntries(pages([later, sameMs, seen, older]), cursor, { maxPages: 5 });
    expect(next.kind === "entries" && next.entries).toEqual([sameMs, later]);
    expect(next.cursor).toEqual({ newestCreatedAt: at.getTime() + 1, newestKeys: [entryKey(later)] });

    // Only same-millisecond news: the cursor keeps both keys of that millisecond.
    const again = await readNewEntries(pages([sameMs, seen, older]), cursor, { maxPages: 5 });
    expect(again.cursor).toEqual({ newestCreatedAt: at.getTime(), newestKeys: [entryKey(seen), entryKey(sameMs)] });
    expect(await readNewEntries(pages([sameMs, seen, older]), again.cursor, { maxPages: 5 })).toMatchObject({ kind: "entries", entries: [] });
  });
});
