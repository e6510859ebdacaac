/**
 * Claims on queued Roblox writes (design §8: no Roblox write is done twice), on both stores:
 * concurrent claimants get disjoint rows; a claim that ran out is taken over; the old holder's late
 * record or delete changes nothing; renewal keeps a claim.
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { Repositories } from "../../src/db/index.ts";
import { DIALECTS, storesOf } from "./dialects.ts";

const G1 = "100000000000000001";
const G2 = "100000000000000002";
const HOLD = 60_000;

async function queue(repos: Repositories, count: number, at: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const guildId = i % 2 === 0 ? G1 : G2;
    const { write } = await repos.pendingWrites.enqueue(guildId, { discordId: `${500 + i}`, robloxUserId: 1_000 + i, groupId: 7, targetRobloxRoleId: 9002, targetRank: 10, nextAttemptAt: at + i });
    ids.push(write.id);
  }
  return ids;
}

describe.each(DIALECTS)("pending write claims on %s", (_name, dialect) => {
  const stores = storesOf(dialect);
  afterEach(() => stores.closeAll());

  test("claimants asking at once get disjoint rows, every due row once, longest due first", async () => {
    const { repos, clock } = await stores.open();
    const ids = await queue(repos, 24, clock.now - 1_000);
    // Not due yet, and never handed out.
    await repos.pendingWrites.enqueue(G1, { discordId: "999", robloxUserId: 9_999, groupId: 7, targetRobloxRoleId: 9002, targetRank: 10, nextAttemptAt: clock.now + 5_000 });

    // Twelve claims in flight together, over the store's several connections (PostgreSQL).
    const batches = await Promise.all(
      Array.from({ length: 12 }, (_, i) => repos.pendingWrites.claimDue({ claimant: `claimant-${i}`, at: clock.now, holdMs: HOLD, limit: 3 })),
    );
    const claimed = batches.flat();
    expect(claimed.map((w) => w.id).sort((a, b) => a - b)).toEqual(ids);
    expect(new Set(claimed.map((w) => w.id)).size).toBe(claimed.length);
    batches.forEach((batch, i) => {
      for (const write of batch) expect(write).toMatchObject({ claimedBy: `claimant-${i}`, claimedUntil: clock.now + HOLD });
      expect(batch.map((w) => w.nextAttemptAt)).toEqual(batch.map((w) => w.nextAttemptAt).sort((a, b) => a - b));
    });
    // Everything due is held: nothing is left for another claimant.
    expect(await repos.pendingWrites.claimDue({ claimant: "late", at: clock.now, holdMs: HOLD, limit: 100 })).toEqual([]);
  });

  test("one row at a time: the longest due row first, then the next", async () => {
    const { repos, clock } = await stores.open();
    const [first, second] = await queue(repos, 2, clock.now - 1_000);
    expect((await repos.pendingWrites.claimDue({ claimant: "a", at: clock.now, holdMs: HOLD })).map((w) => w.id)).toEqual([first!]);
    expect((await repos.pendingWrites.claimDue({ claimant: "b", at: clock.now, holdMs: HOLD })).map((w) => w.id)).toEqual([second!]);
  });

  test("a claim that ran out is taken over; the old holder's late record or delete changes nothing", async () => {
    const { repos, clock } = await stores.open();
    const [id] = await queue(repos, 1, clock.now);
    const [held] = await repos.pendingWrites.claimDue({ claimant: "old", at: clock.now, holdMs: HOLD });
    expect(held!.id).toBe(id!);

    // Still held a moment before it runs out.
    clock.now += HOLD - 1;
    expect(await repos.pendingWrites.claimDue({ claimant: "new", at: clock.now, holdMs: HOLD })).toEqual([]);
    clock.now += 1;
    const [taken] = await repos.pendingWrites.claimDue({ claimant: "new", at: clock.now, holdMs: HOLD });
    expect(taken).toMatchObject({ id: id!, claimedBy: "new", claimedUntil: clock.now + HOLD, attempts: 0 });

    // The old holder comes back late: it may not record, renew or delete the row any more.
    expect(await repos.pendingWrites.markAttempt(G1, id!, { error: "late", nextAttemptAt: clock.now + 1, claimant: "old" })).toBeUndefined();
    expect(await repos.pendingWrites.renewClaim(G1, id!, "old", clock.now + HOLD * 10)).toBe(false);
    expect(await repos.pendingWrites.delete(G1, id!, "old")).toBe(false);
    expect(await repos.pendingWrites.get(G1, id!)).toMatchObject({ claimedBy: "new", claimedUntil: clock.now + HOLD, attempts: 0, lastError: null });

    // The new holder records its attempt, which frees the row for the next due time.
    const recorded = await repos.pendingWrites.markAttempt(G1, id!, { error: "HTTP 503", nextAttemptAt: clock.now + 30_000, claimant: "new" });
    expect(recorded).toMatchObject({ attempts: 1, lastError: "HTTP 503", claimedBy: null, claimedUntil: null });
    expect(await repos.pendingWrites.claimDue({ claimant: "x", at: clock.now, holdMs: HOLD })).toEqual([]);
    clock.now += 30_000;
    const [again] = await repos.pendingWrites.claimDue({ claimant: "x", at: clock.now, holdMs: HOLD });
    expect(again!.id).toBe(id!);
    expect(await repos.pendingWrites.delete(G1, id!, "x")).toBe(true);
  });

  test("a renewed claim holds past its first end; only its holder may renew, and only in its own guild", async () => {
    const { repos, clock } = await stores.open();
    const [id] = await queue(repos, 1, clock.now);
    await repos.pendingWrites.claimDue({ claimant: "holder", at: clock.now, holdMs: HOLD });
    expect(await repos.pendingWrites.renewClaim(G2, id!, "holder", clock.now + 2 * HOLD)).toBe(false);
    expect(await repos.pendingWrites.renewClaim(G1, id!, "holder", clock.now + 2 * HOLD)).toBe(true);
    clock.now += HOLD + 1;
    expect(await repos.pendingWrites.claimDue({ claimant: "other", at: clock.now, holdMs: HOLD })).toEqual([]);
    clock.now += HOLD;
    expect((await repos.pendingWrites.claimDue({ claimant: "other", at: clock.now, holdMs: HOLD })).map((w) => w.id)).toEqual([id!]);
  });

  test("a newer write for the user replaces a held one: the holder's record and delete miss, the new write is free", async () => {
    const { repos, clock } = await stores.open();
    const [id] = await queue(repos, 1, clock.now);
    await repos.pendingWrites.claimDue({ claimant: "holder", at: clock.now, holdMs: HOLD });
    const { write } = await repos.pendingWrites.enqueue(G1, { discordId: "500", robloxUserId: 1_000, groupId: 7, targetRobloxRoleId: 9003, targetRank: 20, nextAttemptAt: clock.now });
    expect(await repos.pendingWrites.markAttempt(G1, id!, { error: "x", nextAttemptAt: clock.now, claimant: "holder" })).toBeUndefined();
    expect(await repos.pendingWrites.delete(G1, id!, "holder")).toBe(false);
    expect((await repos.pendingWrites.claimDue({ claimant: "next", at: clock.now, holdMs: HOLD })).map((w) => w.id)).toEqual([write.id]);
  });
});
