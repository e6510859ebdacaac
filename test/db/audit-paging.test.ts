/**
 * The dashboard's audit log pages (AuditRepository.page): keyset paging over (created_at, id),
 * newest first, on both stores. Entries share timestamps on purpose, so the id must break ties:
 * walking Older to the end, and Newer back, shows every entry once and in order; filters by
 * member and action; another guild's entries never appear.
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { AuditPage, AuditPageQuery } from "../../src/db/repositories/audit.ts";
import type { AuditAction } from "../../src/db/schema.ts";
import { DIALECTS, storesOf, type TestStore } from "./dialects.ts";

const G1 = "111111111111111111";
const G2 = "222222222222222222";
const ALICE = "333333333333333333";
const BOB = "444444444444444444";
const ACTIONS: readonly AuditAction[] = ["link", "rank.promote", "sync.member"];

/** 23 entries in G1 (every third one second apart, so timestamps repeat), and look-alikes in G2. */
async function seed(store: TestStore): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < 23; i++) {
    if (i % 3 === 0) store.clock.now += 1000;
    ids.push(
      await store.repos.audit.append(G1, { actorId: i % 2 ? ALICE : "system", action: ACTIONS[i % 3]!, targetDiscordId: i % 2 ? BOB : ALICE }),
    );
    await store.repos.audit.append(G2, { actorId: ALICE, action: ACTIONS[i % 3]!, targetDiscordId: ALICE });
  }
  return ids;
}

type Repo = TestStore["repos"]["audit"];

/** Every page from the newest, following "Older" until there is none. */
async function walkOlder(audit: Repo, query: Omit<AuditPageQuery, "before" | "after">): Promise<AuditPage[]> {
  const pages = [await audit.page(G1, query)];
  while (pages.at(-1)!.hasOlder) {
    const last = pages.at(-1)!.entries.at(-1)!;
    pages.push(await audit.page(G1, { ...query, before: { createdAt: last.createdAt, id: last.id } }));
    if (pages.length > 50) throw new Error("paging does not end");
  }
  return pages;
}

describe.each(DIALECTS)("audit log pages on %s", (_name, dialect) => {
  const stores = storesOf(dialect);
  afterEach(() => stores.closeAll());

  test("Older walks every entry once, newest first, and Newer walks back to the first page", async () => {
    const store = await stores.open();
    const ids = await seed(store);
    const pages = await walkOlder(store.repos.audit, { limit: 5 });
    expect(pages.map((page) => page.entries.length)).toEqual([5, 5, 5, 5, 3]);
    expect(pages.flatMap((page) => page.entries.map((entry) => entry.id))).toEqual([...ids].reverse());
    expect(pages.map((page) => [page.hasNewer, page.hasOlder])).toEqual([
      [false, true],
      [true, true],
      [true, true],
      [true, true],
      [true, false],
    ]);
    expect(pages.flatMap((page) => page.entries).every((entry) => entry.guildId === G1)).toBe(true);

    // Back up with Newer from the last page: the same pages in reverse.
    let page = pages.at(-1)!;
    const back: number[][] = [];
    while (page.hasNewer) {
      const first = page.entries[0]!;
      page = await store.repos.audit.page(G1, { limit: 5, after: { createdAt: first.createdAt, id: first.id } });
      back.push(page.entries.map((entry) => entry.id));
    }
    expect(back).toEqual(pages.slice(0, -1).reverse().map((p) => p.entries.map((entry) => entry.id)));
    expect(page.hasOlder).toBe(true);
  });

  test("filters by member and by action, together or alone, each entry once", async () => {
    const store = await stores.open();
    await seed(store);
    const all = (await walkOlder(store.repos.audit, { limit: 100 })).flatMap((page) => page.entries);
    for (const query of [{ targetDiscordId: BOB }, { action: "rank.promote" as const }, { targetDiscordId: ALICE, action: "link" as const }]) {
      const seen = (await walkOlder(store.repos.audit, { ...query, limit: 2 })).flatMap((page) => page.entries.map((entry) => entry.id));
      const expected = all
        .filter((entry) => (!query.targetDiscordId || entry.targetDiscordId === query.targetDiscordId) && (!("action" in query) || entry.action === query.action))
        .map((entry) => entry.id);
      expect(expected.length).toBeGreaterThan(2);
      expect(seen).toEqual(expected);
    }
    expect((await store.repos.audit.page(G1, { targetDiscordId: "555555555555555555" })).entries).toEqual([]);
  });

  test("another guild's entries never appear, whatever the cursor or filter", async () => {
    const store = await stores.open();
    await seed(store);
    const g2 = await store.repos.audit.page(G2, { limit: 100 });
    expect(g2.entries).toHaveLength(23);
    // A cursor taken from G2's log still reads only G1's entries.
    const middle = g2.entries[10]!;
    for (const cursor of [{ before: middle }, { after: middle }]) {
      const page = await store.repos.audit.page(G1, { ...cursor, limit: 100, targetDiscordId: ALICE });
      expect(page.entries.length).toBeGreaterThan(0);
      expect(page.entries.every((entry) => entry.guildId === G1)).toBe(true);
    }
    expect((await store.repos.audit.page("999999999999999999", {})).entries).toEqual([]);
  });

  test("past either end: an empty page that still offers the way back", async () => {
    const store = await stores.open();
    const ids = await seed(store);
    const [oldest] = await store.rows(`SELECT id, created_at FROM audit_log WHERE id = ${ids[0]}`);
    const cursor = { createdAt: Number(oldest!.created_at), id: Number(oldest!.id) };
    const beyond = await store.repos.audit.page(G1, { before: cursor });
    expect(beyond).toMatchObject({ entries: [], hasOlder: false, hasNewer: true });
    const newest = (await store.repos.audit.page(G1, { limit: 1 })).entries[0]!;
    expect(await store.repos.audit.page(G1, { after: newest })).toMatchObject({ entries: [], hasNewer: false, hasOlder: true });
  });

  test("findByDiscordIds reads this guild's stored members only", async () => {
    const { repos } = await stores.open();
    await repos.members.link(G1, ALICE, { robloxUserId: 1, robloxUsername: "alice_rbx", verifiedBy: "profile-phrase" });
    await repos.members.link(G2, BOB, { robloxUserId: 2, robloxUsername: "bob_rbx", verifiedBy: "profile-phrase" });
    expect((await repos.members.findByDiscordIds(G1, [ALICE, BOB])).map((member) => member.robloxUsername)).toEqual(["alice_rbx"]);
    expect(await repos.members.findByDiscordIds(G1, [])).toEqual([]);
  });
});
