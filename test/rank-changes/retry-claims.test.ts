/**
 * The retry of queued Roblox writes when several workers share one database (design §8: no Roblox
 * write is done twice): each write is claimed by one worker; a claim is kept while a slow request
 * runs; a worker whose claim was taken over records nothing; a dead worker's claim runs out.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { createLogger } from "../../src/observability/logger.ts";
import { RobloxClient } from "../../src/roblox/client.ts";
import { PendingWriteWorker, type PendingWriteWorkerOptions } from "../../src/services/pending-writes.ts";
import { decideRobloxAccess } from "../../src/services/roblox-access.ts";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";
import { membershipId, startRobloxEmulator, type RobloxEmulator } from "../emulators/roblox/index.ts";
import { API_KEY, createWorld, LADDER, seedRoblox, type World } from "./world.ts";

let discord: DiscordEmulator;
let roblox: RobloxEmulator;
let world: World;
const workers: PendingWriteWorker[] = [];
const clients: RobloxClient[] = [];

beforeAll(async () => {
  discord = await startDiscordEmulator();
  roblox = await startRobloxEmulator();
  seedRoblox(roblox);
});
afterAll(async () => {
  await discord.close();
  await roblox.close();
});
beforeEach(() => roblox.failures.clear());
afterEach(async () => {
  for (const worker of workers.splice(0)) await worker.stop();
  for (const client of clients.splice(0)) await client.close();
  roblox.failures.clear();
  await world?.close();
});

const ASSIGN_ROLE = ":assignRole";
const assignRequests = (robloxUserId: number) =>
  roblox.requests.filter((r) => r.method === "POST" && r.path.endsWith(`/memberships/${membershipId(robloxUserId)}${ASSIGN_ROLE}`)).length;

/** Another process's worker on the world's database: its own Roblox client and name. */
function worker(name: string, options: Partial<PendingWriteWorkerOptions> = {}): PendingWriteWorker {
  const client = new RobloxClient({ apiKey: API_KEY, urlTemplate: roblox.urlTemplate, retry: { maxRetries: 0 } });
  clients.push(client);
  const made = new PendingWriteWorker({
    repositories: world.repositories,
    // A home guild: the operator's credential writes for it (design §10).
    contexts: {
      accessFor: async (guildId) =>
        decideRobloxAccess({ guildId, home: true, operator: client, guildKey: undefined, storedKey: "none", confirmWrite: async () => ({ canWrite: true }) }),
    },
    audit: { record: async (guildId, entry) => await world.repositories.audit.append(guildId, entry) },
    logger: createLogger({ level: "silent" }),
    metrics: world.metrics,
    backoff: { baseMs: 10, maxMs: 10, jitterRatio: 0 },
    claimantName: name,
    ...options,
  });
  workers.push(made);
  return made;
}

/** A promote whose Roblox write failed: one write queued, due within about 10 ms. */
async function queuedWrite() {
  world = await createWorld(discord, roblox);
  const member = await world.linkedMember({ robloxRank: "private", points: 80 });
  roblox.failures.inject({ method: "POST", pathIncludes: ASSIGN_ROLE, status: 503, times: 1 });
  await world.command(world.admin("colonel"), "promote", { member: member.discordId });
  const [write] = await world.repositories.pendingWrites.list(world.guildId);
  expect(write).toBeDefined();
  await Bun.sleep(20);
  roblox.requests.length = 0;
  return { member, write: write! };
}

describe("two workers on one database", () => {
  test("passes run at once over a slow write: the write is sent once, by one of them", async () => {
    const { member } = await queuedWrite();
    roblox.failures.inject({ method: "POST", pathIncludes: ASSIGN_ROLE, delayMs: 300, times: 1 });
    const [a, b] = [worker("process a"), worker("process b")];

    const summaries = await Promise.all([a.runOnce(), b.runOnce()]);

    expect(assignRequests(member.robloxUserId)).toBe(1);
    expect(summaries.map((s) => s.landed).sort()).toEqual([0, 1]);
    expect(world.robloxRankOf(member.robloxUserId)).toBe(LADDER.corporal.robloxRank);
    expect(await world.repositories.pendingWrites.countAll()).toBe(0);
    const landed = (await world.repositories.audit.listLatest(world.guildId, { action: "roblox.write" })).filter((entry) => entry.outcome === "ok");
    expect(landed).toHaveLength(1);
  });

  test("a claim is renewed while its request is slower than the claim's hold: the other worker stays off", async () => {
    const { member } = await queuedWrite();
    roblox.failures.inject({ method: "POST", pathIncludes: ASSIGN_ROLE, delayMs: 500, times: 1 });
    const slow = worker("slow", { claimHoldMs: 90 });
    const other = worker("other", { claimHoldMs: 90 });

    const first = slow.runOnce();
    await Bun.sleep(250); // well past the first hold: only renewals keep the claim
    const row = await world.repositories.pendingWrites.getForUser(world.guildId, member.robloxUserId);
    expect(row?.claimedBy).toStartWith("slow/");
    expect(await other.runOnce()).toEqual({ attempted: 0, landed: 0, rescheduled: 0, abandoned: 0 });
    expect(await first).toMatchObject({ attempted: 1, landed: 1 });
    expect(assignRequests(member.robloxUserId)).toBe(1);
  });

  test("a worker whose claim was taken over records nothing when its request comes back", async () => {
    const { member, write } = await queuedWrite();
    roblox.failures.inject({ method: "POST", pathIncludes: ASSIGN_ROLE, status: 503, delayMs: 300, times: 1 });
    const late = worker("late");

    const pass = late.runOnce();
    await Bun.sleep(100);
    // Another process takes the row as if the claim had run out (its clock well past the hold).
    const [taken] = await world.repositories.pendingWrites.claimDue({ claimant: "newcomer", at: Date.now() + 10 * 60_000, holdMs: 60_000 });
    expect(taken?.id).toBe(write.id);

    expect(await pass).toEqual({ attempted: 0, landed: 0, rescheduled: 0, abandoned: 0 });
    const row = await world.repositories.pendingWrites.get(world.guildId, write.id);
    expect(row).toMatchObject({ claimedBy: "newcomer", attempts: write.attempts, lastError: write.lastError });
    expect(assignRequests(member.robloxUserId)).toBe(1);
  });

  test("a dead worker's claim holds the write until it runs out; then another worker retries it", async () => {
    const { member, write } = await queuedWrite();
    const clock = { now: Date.now() };
    await world.repositories.pendingWrites.claimDue({ claimant: "killed process/1", at: clock.now, holdMs: 120_000 });
    const survivor = worker("survivor", { now: () => clock.now });

    expect(await survivor.runOnce()).toMatchObject({ attempted: 0 });
    expect(assignRequests(member.robloxUserId)).toBe(0);
    clock.now += 120_000;
    expect(await survivor.runOnce()).toMatchObject({ attempted: 1, landed: 1 });
    expect(assignRequests(member.robloxUserId)).toBe(1);
    expect(await world.repositories.pendingWrites.get(world.guildId, write.id)).toBeUndefined();
  });
});
