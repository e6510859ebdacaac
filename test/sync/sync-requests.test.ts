// The dashboard's sync requests (src/sync/sync-requests.ts) on both dialects, each claimer on a
// connection of its own to one database, as processes of a cluster are: a queued request is claimed
// and acted on by exactly one process of the guild's shard however many poll at once; a request for
// a guild already syncing shows that run; a second request while one waits joins it; a refusal is
// kept for the page. BulkSync is stood in for by a recorder of startManual: what is under test is
// who calls it, and how often.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRepositories, openDatabase, type Repositories } from "../../src/db/index.ts";
import { openPostgres } from "../../src/db/pg/client.ts";
import { createPgRepositories } from "../../src/db/pg/repositories/index.ts";
import { createLogger } from "../../src/observability/logger.ts";
import type { ManualSyncRequest, ManualSyncStart } from "../../src/sync/bulk-sync.ts";
import { guildSyncStatus } from "../../src/sync/run-status.ts";
import { SyncNotPossibleError } from "../../src/sync/sync-context.ts";
import { SyncRequests } from "../../src/sync/sync-requests.ts";
import { scratchDatabase, TEST_DATABASE_URL } from "../db/pg-helpers.ts";

const logger = createLogger({ level: "silent" });

/** Connections to one shared database, one per process of the cluster. */
interface SharedStore {
  connect(): Promise<Repositories>;
  close(): Promise<void>;
}

const sqliteFile = async (): Promise<SharedStore> => {
  const dir = mkdtempSync(join(tmpdir(), "sync-requests-"));
  const handles: ReturnType<typeof openDatabase>[] = [];
  return {
    async connect() {
      const handle = openDatabase(join(dir, "shared.sqlite"));
      handles.push(handle);
      return createRepositories(handle.db);
    },
    async close() {
      for (const handle of handles) handle.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

const postgresDatabase = async (): Promise<SharedStore> => {
  const scratch = await scratchDatabase();
  const handles: Awaited<ReturnType<typeof openPostgres>>[] = [];
  return {
    async connect() {
      const handle = await openPostgres(scratch.url, { maxConnections: 2 });
      handles.push(handle);
      return createPgRepositories(handle.db);
    },
    async close() {
      for (const handle of handles) await handle.close();
      await scratch.drop();
    },
  };
};

const DIALECTS: [string, () => Promise<SharedStore>][] = [["sqlite", sqliteFile], ...(TEST_DATABASE_URL ? [["postgres", postgresDatabase] as [string, () => Promise<SharedStore>]] : [])];

/** What BulkSync.startManual was asked, by whom; answers as BulkSync does (one run per guild: later asks attach). */
class RecordingBulkSync {
  readonly calls: { process: string; request: ManualSyncRequest }[] = [];
  refuse: SyncNotPossibleError | undefined;
  constructor(private readonly repositories: Repositories) {}
  for(process: string) {
    return {
      startManual: async (request: ManualSyncRequest): Promise<ManualSyncStart> => {
        this.calls.push({ process, request });
        if (this.refuse) throw this.refuse;
        const started = await this.repositories.syncRuns.start(request.guildId, { trigger: "manual", dryRun: request.dryRun });
        return started.ok ? { kind: "started", runId: started.run.id, finished: new Promise(() => {}) } : { kind: "attached", runId: started.run.id, text: "" };
      },
      decideHeld: async () => ({ kind: "gone" as const, runId: 0 }),
    };
  }
}

describe.each(DIALECTS)("sync requests on %s", (_name, open) => {
  let store: SharedStore | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  async function cluster(claimers: number) {
    store = await open();
    const seedRepositories = await store.connect();
    const bulkSync = new RecordingBulkSync(seedRepositories);
    // The process serving the dashboard runs none of these guilds' shards.
    const web = new SyncRequests({ repositories: seedRepositories, bulkSync: bulkSync.for("web"), ownsGuild: () => false, processName: "web", logger });
    const owners: SyncRequests[] = [];
    for (let i = 0; i < claimers; i++) {
      const repositories = await store.connect();
      owners.push(new SyncRequests({ repositories, bulkSync: bulkSync.for(`owner-${i}`), ownsGuild: () => true, processName: `owner-${i}`, logger }));
    }
    return { web, owners, bulkSync, repositories: seedRepositories };
  }

  test("each queued request is claimed and acted on by exactly one of several processes polling at once", async () => {
    const { web, owners, bulkSync, repositories } = await cluster(4);
    const guilds = Array.from({ length: 12 }, (_, i) => `90000000000000${String(i).padStart(4, "0")}`);
    for (const guildId of guilds) expect((await web.ask({ kind: "run", guildId, actorId: "555", dryRun: false })).kind).toBe("queued");

    const claimed = (await Promise.all(owners.flatMap((owner) => [owner.pollOnce(), owner.pollOnce()]))).flat();
    expect(claimed.map((row) => row.guildId).sort()).toEqual(guilds);
    expect(bulkSync.calls.map((call) => call.request.guildId).sort()).toEqual(guilds);
    expect(bulkSync.calls.every((call) => call.request.actorId === "555" && call.request.reply === undefined)).toBe(true);
    // Nothing is left to claim, and each guild has one run.
    expect((await Promise.all(owners.map((owner) => owner.pollOnce()))).flat()).toEqual([]);
    for (const guildId of guilds) {
      const status = await guildSyncStatus(repositories, guildId);
      expect({ waiting: status.waiting, state: status.run?.state }).toEqual({ waiting: undefined, state: "running" });
    }
  });

  test("a second request while one waits joins it, and a request for a guild already syncing shows that run", async () => {
    const { web, owners, bulkSync, repositories } = await cluster(1);
    const guildId = "900000000000001234";
    const first = await web.ask({ kind: "run", guildId, actorId: "555", dryRun: true });
    const second = await web.ask({ kind: "run", guildId, actorId: "666", dryRun: false });
    expect(first).toMatchObject({ kind: "queued", joined: false });
    expect(second).toEqual({ kind: "queued", requestId: (first as { requestId: number }).requestId, joined: true });
    expect((await guildSyncStatus(repositories, guildId)).waiting).toMatchObject({ action: "sync", dryRun: true });

    await owners[0]!.pollOnce();
    expect(bulkSync.calls.map((call) => call.request)).toEqual([{ guildId, actorId: "555", dryRun: true, force: false }]);
    const [run] = await repositories.syncRuns.listLatest(guildId, 1);
    // Asked again while that run goes: no request is queued, the running run is the answer.
    expect(await web.ask({ kind: "run", guildId, actorId: "666", dryRun: false })).toEqual({ kind: "attached", runId: run!.id });
    expect(await owners[0]!.pollOnce()).toEqual([]);
    expect(bulkSync.calls.length).toBe(1);
    // The process of the shard answers the same way: BulkSync attaches, no second run.
    expect(await owners[0]!.ask({ kind: "run", guildId, actorId: "666", dryRun: false })).toEqual({ kind: "attached", runId: run!.id });
    expect((await repositories.syncRuns.listLatest(guildId, 10)).length).toBe(1);
  });

  test("a request the sync refuses is kept refused, with its reason, for the page of any process", async () => {
    const { web, owners, bulkSync, repositories } = await cluster(1);
    const guildId = "900000000000004321";
    bulkSync.refuse = new SyncNotPossibleError("no-ranks");
    await web.ask({ kind: "run", guildId, actorId: "555", dryRun: false });
    await owners[0]!.pollOnce();
    const status = await guildSyncStatus(repositories, guildId);
    expect({ run: status.run, waiting: status.waiting, refused: status.refused?.reason }).toEqual({ run: undefined, waiting: undefined, refused: "no-ranks" });
    expect(await owners[0]!.ask({ kind: "run", guildId, actorId: "555", dryRun: false })).toEqual({ kind: "refused", reason: "no-ranks" });
  });

  test("a claim its claimer never settled is claimed again once stale, not before", async () => {
    const { web, repositories } = await cluster(0);
    const guildId = "900000000000005678";
    const { requestId } = (await web.ask({ kind: "run", guildId, actorId: "555", dryRun: false })) as { requestId: number };
    const now = Date.now();
    expect((await repositories.syncRequests.claim([requestId], "dies", now - 60_000)).map((row) => row.id)).toEqual([requestId]);
    expect(await repositories.syncRequests.claim([requestId], "other", now - 60_000)).toEqual([]);
    expect((await repositories.syncRequests.claim([requestId], "other", now + 60_000)).map((row) => row.claimedBy)).toEqual(["other"]);
  });
});
