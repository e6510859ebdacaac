import { afterEach, describe, expect, test } from "bun:test";
import { MAX_POINTS } from "../../src/db/repositories/members.ts";
import { DIALECTS, storesOf } from "./dialects.ts";

const G1 = "111111111111111111";
const G2 = "222222222222222222";
const ALICE = "333333333333333333";
const BOB = "444444444444444444";

const ladder = [
  { name: "Recruit", robloxRoleId: 9001, robloxRank: 1, discordRoleId: "500000000000000001" },
  { name: "Private", robloxRoleId: 9002, robloxRank: 10, pointsRequired: 10 },
  { name: "Officer", robloxRoleId: 9003, robloxRank: 200, discordRoleId: "500000000000000003" },
];

describe.each(DIALECTS)("repositories on %s", (_name, dialect) => {
  const stores = storesOf(dialect);
  afterEach(() => stores.closeAll());

  describe("guild settings", () => {
    test("upsert patches only given fields; ensure creates defaults", async () => {
      const { repos, clock } = await stores.open();
      expect(await repos.guilds.get(G1)).toBeUndefined();
      const created = await repos.guilds.ensure(G1);
      expect(created).toMatchObject({ guildId: G1, leftGroupPolicy: "remove", robloxGroupId: null, syncRankFilter: null });

      clock.now += 1000;
      await repos.guilds.upsert(G1, { robloxGroupId: 42, syncRankFilter: [1, 2] });
      const patched = await repos.guilds.upsert(G1, { leftGroupPolicy: "flag" });
      expect(patched).toMatchObject({ robloxGroupId: 42, syncRankFilter: [1, 2], leftGroupPolicy: "flag" });
      expect(patched.updatedAt).toBe(created.createdAt + 1000);
      expect((await repos.guilds.upsert(G1, { robloxGroupId: null })).robloxGroupId).toBeNull();
      expect(await repos.guilds.get(G2)).toBeUndefined();
    });
  });

  describe("ranks", () => {
    test("replace keeps rank ids and bindings of surviving roles, removes the rest", async () => {
      const { repos } = await stores.open();
      const first = await repos.ranks.replace(G1, ladder);
      expect(first.ladder.map((r) => [r.position, r.name])).toEqual([[0, "Recruit"], [1, "Private"], [2, "Officer"]]);
      expect(first.added).toHaveLength(3);
      const officer = first.ladder[2]!;

      await repos.members.link(G1, ALICE, { robloxUserId: 1, robloxUsername: "alice", verifiedBy: "oauth" });
      await repos.members.setStoredRank(G1, ALICE, officer.id);

      // Re-import: Private is gone, a new role arrives, Officer renamed; bindings not given are kept.
      const second = await repos.ranks.replace(G1, [
        { name: "Recruit", robloxRoleId: 9001, robloxRank: 1 },
        { name: "Sergeant", robloxRoleId: 9004, robloxRank: 50 },
        { name: "Officer II", robloxRoleId: 9003, robloxRank: 200 },
      ]);
      expect(second.removed.map((r) => r.name)).toEqual(["Private"]);
      expect(second.added.map((r) => r.name)).toEqual(["Sergeant"]);
      const officerAfter = second.ladder.find((r) => r.robloxRoleId === 9003)!;
      expect(officerAfter).toMatchObject({ id: officer.id, name: "Officer II", position: 2, discordRoleId: "500000000000000003" });
      expect((await repos.members.get(G1, ALICE))!.rankId).toBe(officer.id);
    });

    test("replace rejects duplicates and out-of-range ranks without touching the ladder", async () => {
      const { repos } = await stores.open();
      await repos.ranks.replace(G1, ladder);
      expect(async () => await repos.ranks.replace(G1, [ladder[0]!, ladder[0]!])).toThrow(/appears twice/);
      expect(async () => await repos.ranks.replace(G1, [{ name: "X", robloxRoleId: 1, robloxRank: 256 }])).toThrow(/0-255/);
      expect(await repos.ranks.list(G1)).toHaveLength(3);
    });

    test("bind, unbind, edit, find by name, unbind a deleted Discord role", async () => {
      const { repos } = await stores.open();
      const [recruit, priv] = (await repos.ranks.replace(G1, ladder)).ladder;
      expect((await repos.ranks.bind(G1, priv!.id, "500000000000000001"))!.discordRoleId).toBe("500000000000000001");
      expect((await repos.ranks.findByDiscordRoleId(G1, "500000000000000001")).map((r) => r.name)).toEqual(["Recruit", "Private"]);
      expect(await repos.ranks.unbindDiscordRole(G1, "500000000000000001")).toHaveLength(2);
      expect((await repos.ranks.edit(G1, recruit!.id, { pointsRequired: 5 }))!.pointsRequired).toBe(5);
      expect((await repos.ranks.unbind(G1, recruit!.id))!.discordRoleId).toBeNull();
      expect((await repos.ranks.findByName(G1, "oFFicer"))!.robloxRoleId).toBe(9003);
      // Another guild can't edit this guild's rank by id.
      expect(await repos.ranks.bind(G2, recruit!.id, "1")).toBeUndefined();
      expect(await repos.ranks.get(G2, recruit!.id)).toBeUndefined();
    });

    test("deleting a rank clears members' stored rank (FK on delete set null)", async () => {
      const { repos } = await stores.open();
      const officer = (await repos.ranks.replace(G1, ladder)).ladder[2]!;
      await repos.members.link(G1, ALICE, { robloxUserId: 1, robloxUsername: "alice", verifiedBy: "oauth" });
      await repos.members.setStoredRank(G1, ALICE, officer.id);
      await repos.ranks.replace(G1, ladder.slice(0, 2));
      expect((await repos.members.get(G1, ALICE))!.rankId).toBeNull();
    });
  });

  describe("members", () => {
    test("the same Discord user in two guilds is two independent members", async () => {
      const { repos } = await stores.open();
      await repos.members.link(G1, ALICE, { robloxUserId: 100, robloxUsername: "alice_main", verifiedBy: "profile-phrase" });
      await repos.members.link(G2, ALICE, { robloxUserId: 200, robloxUsername: "alice_alt", verifiedBy: "oauth" });
      await repos.members.changePoints(G1, ALICE, { op: "add", amount: 7 });

      expect(await repos.members.get(G1, ALICE)).toMatchObject({ robloxUserId: 100, points: 7 });
      expect(await repos.members.get(G2, ALICE)).toMatchObject({ robloxUserId: 200, points: 0 });
      expect(await repos.members.findByRobloxUserId(G1, 200)).toBeUndefined();
      expect((await repos.members.findByRobloxUserId(G2, 200))!.discordId).toBe(ALICE);
      expect((await repos.members.findByRobloxUserIds(G1, [100, 200, 300])).map((member) => member.discordId)).toEqual([ALICE]);
      expect(await repos.members.findByRobloxUserIds(G1, [])).toEqual([]);

      await repos.members.unlink(G2, ALICE);
      expect((await repos.members.get(G1, ALICE))!.robloxUserId).toBe(100);
      expect((await repos.members.listLinked(G1)).map((m) => m.discordId)).toEqual([ALICE]);
      expect(await repos.members.listLinked(G2)).toEqual([]);
    });

    test("a Roblox account links to one Discord account per guild (but may link in another guild)", async () => {
      const { repos } = await stores.open();
      const link = { robloxUserId: 100, robloxUsername: "alice", verifiedBy: "oauth" } as const;
      expect((await repos.members.link(G1, ALICE, link)).ok).toBe(true);
      expect(await repos.members.link(G1, BOB, link)).toEqual({ ok: false, reason: "roblox-account-taken", linkedTo: ALICE });
      expect((await repos.members.link(G2, BOB, link)).ok).toBe(true);
      // The database enforces it too, not just the repository.
      const { rows } = await stores.open();
      await rows(`INSERT INTO members (guild_id, discord_id, roblox_user_id) VALUES ('${G1}', '${ALICE}', 5)`);
      await expect(rows(`INSERT INTO members (guild_id, discord_id, roblox_user_id) VALUES ('${G1}', '${BOB}', 5)`)).rejects.toThrow(/UNIQUE|unique/);
    });

    test("relinking a different account resets the stored rank; the same account keeps it; unlink keeps points", async () => {
      const { repos } = await stores.open();
      const rank = (await repos.ranks.replace(G1, ladder)).ladder[1]!;
      await repos.members.link(G1, ALICE, { robloxUserId: 100, robloxUsername: "alice", verifiedBy: "oauth" });
      await repos.members.setStoredRank(G1, ALICE, rank.id);
      await repos.members.changePoints(G1, ALICE, { op: "set", amount: 50 });

      const same = await repos.members.link(G1, ALICE, { robloxUserId: 100, robloxUsername: "alice_renamed", verifiedBy: "oauth" });
      expect(same.ok && same.member.rankId).toBe(rank.id);
      const other = await repos.members.link(G1, ALICE, { robloxUserId: 101, robloxUsername: "alice2", verifiedBy: "oauth" });
      expect(other.ok && other.member.rankId).toBeNull();
      expect(other.ok && other.previous?.robloxUserId).toBe(100);

      const before = await repos.members.unlink(G1, ALICE);
      expect(before!.robloxUserId).toBe(101);
      expect(await repos.members.get(G1, ALICE)).toMatchObject({ robloxUserId: null, robloxUsername: null, points: 50 });
      expect(await repos.members.unlink(G1, ALICE)).toBeUndefined();
      // The account is free again.
      expect((await repos.members.link(G1, BOB, { robloxUserId: 101, robloxUsername: "alice2", verifiedBy: "oauth" })).ok).toBe(true);
    });

    test("points: add, remove, set, clamped to [0, MAX_POINTS], creating the row", async () => {
      const { repos } = await stores.open();
      expect(await repos.members.changePoints(G1, BOB, { op: "add", amount: 10 })).toBe(10);
      expect(await repos.members.changePoints(G1, BOB, { op: "remove", amount: 3 })).toBe(7);
      expect(await repos.members.changePoints(G1, BOB, { op: "remove", amount: 100 })).toBe(0);
      expect(await repos.members.changePoints(G1, BOB, { op: "set", amount: MAX_POINTS + 5 })).toBe(MAX_POINTS);
      expect(await repos.members.changePoints(G1, BOB, { op: "add", amount: Number.MAX_SAFE_INTEGER })).toBe(MAX_POINTS);
      expect(await repos.members.changePoints(G2, BOB, { op: "remove", amount: 5 })).toBe(0);
      expect(async () => await repos.members.changePoints(G1, BOB, { op: "add", amount: 1.5 })).toThrow(RangeError);
      expect(async () => await repos.members.changePoints(G1, BOB, { op: "add", amount: -1 })).toThrow(RangeError);
      expect((await repos.members.get(G1, BOB))!.robloxUserId).toBeNull();
    });

    test("stored rank: set, clear, and never a rank of another guild", async () => {
      const { repos, clock } = await stores.open();
      const g1Rank = (await repos.ranks.replace(G1, ladder)).ladder[0]!;
      const g2Rank = (await repos.ranks.replace(G2, ladder)).ladder[0]!;
      await repos.members.link(G1, ALICE, { robloxUserId: 1, robloxUsername: "a", verifiedBy: "oauth" });
      clock.now += 5;
      expect(await repos.members.setStoredRank(G1, ALICE, g1Rank.id)).toMatchObject({ rankId: g1Rank.id, rankUpdatedAt: clock.now });
      expect(await repos.members.setStoredRank(G1, ALICE, g2Rank.id)).toBeUndefined();
      expect((await repos.members.get(G1, ALICE))!.rankId).toBe(g1Rank.id);
      expect((await repos.members.setStoredRank(G1, ALICE, null))!.rankId).toBeNull();
      expect(await repos.members.setStoredRank(G1, BOB, g1Rank.id)).toBeUndefined();
    });

    test("listLinked pages by discord id and counts", async () => {
      const { repos } = await stores.open();
      for (let i = 0; i < 25; i++) {
        await repos.members.link(G1, `9000000000000000${String(i).padStart(2, "0")}`, {
          robloxUserId: 1000 + i,
          robloxUsername: `u${i}`,
          verifiedBy: "oauth",
        });
      }
      await repos.members.changePoints(G1, BOB, { op: "add", amount: 1 }); // unlinked row: not listed
      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await repos.members.listLinked(G1, { after, limit: 10 });
        if (page.length === 0) break;
        seen.push(...page.map((m) => m.discordId));
        after = page.at(-1)!.discordId;
      }
      expect(seen).toHaveLength(25);
      expect(new Set(seen).size).toBe(25);
      expect(await repos.members.listLinked(G1)).toHaveLength(25);
      expect(await repos.members.countLinked(G1)).toBe(25);
      expect(await repos.members.countLinked(G2)).toBe(0);
    });

    test("listLinkedAccounts: the four columns a sync plans with, linked members only, one guild, in discord-id order", async () => {
      const { repos } = await stores.open();
      await repos.members.link(G1, BOB, { robloxUserId: 2002, robloxUsername: "bob", verifiedBy: "oauth" });
      await repos.members.link(G1, ALICE, { robloxUserId: 2001, robloxUsername: "alice", verifiedBy: "oauth" });
      await repos.members.link(G2, ALICE, { robloxUserId: 2003, robloxUsername: "alice-elsewhere", verifiedBy: "oauth" });
      await repos.members.changePoints(G1, "555555555555555555", { op: "add", amount: 1 }); // unlinked row: not listed
      const rank = (await repos.ranks.replace(G1, [{ name: "Private", robloxRoleId: 11, robloxRank: 1, discordRoleId: null }])).ladder[0]!;
      await repos.members.setStoredRank(G1, BOB, rank.id);
      expect(await repos.members.listLinkedAccounts(G1)).toEqual([
        { discordId: ALICE, robloxUserId: 2001, robloxUsername: "alice", robloxDisplayName: null, rankId: null },
        { discordId: BOB, robloxUserId: 2002, robloxUsername: "bob", robloxDisplayName: null, rankId: rank.id },
      ]);
      expect(await repos.members.listLinkedAccounts("1")).toEqual([]);
    });
  });

  describe("link challenges", () => {
    test("one per member and kind, replaced by a newer one, expiring, found by OAuth state", async () => {
      const { repos, clock } = await stores.open();
      await repos.linkChallenges.put(G1, ALICE, { kind: "phrase", robloxUserId: 1, robloxUsername: "a", phrase: "old", expiresAt: clock.now + 600_000 });
      await repos.linkChallenges.put(G1, ALICE, { kind: "phrase", robloxUserId: 1, robloxUsername: "a", phrase: "new", expiresAt: clock.now + 600_000 });
      await repos.linkChallenges.put(G1, ALICE, { kind: "oauth", oauthState: "s3cr3t", pkceVerifier: "v", expiresAt: clock.now + 1000 });
      expect((await repos.linkChallenges.get(G1, ALICE, "phrase"))!.phrase).toBe("new");
      expect(await repos.linkChallenges.get(G2, ALICE, "phrase")).toBeUndefined();
      expect(await repos.linkChallenges.findByOAuthState("s3cr3t")).toMatchObject({ guildId: G1, discordId: ALICE });

      clock.now += 1000;
      expect(await repos.linkChallenges.findByOAuthState("s3cr3t")).toBeUndefined();
      expect(await repos.linkChallenges.deleteExpired()).toBe(1);
      expect(await repos.linkChallenges.delete(G1, ALICE, "phrase")).toBe(true);
      expect(await repos.linkChallenges.delete(G1, ALICE, "phrase")).toBe(false);
    });
  });

  describe("audit log", () => {
    test("append and list latest for a member, newest first, per guild", async () => {
      const { repos, clock } = await stores.open();
      for (const [i, action] of (["link", "rank.promote", "rank.demote"] as const).entries()) {
        clock.now += 10;
        await repos.audit.append(G1, {
          actorId: i === 0 ? ALICE : "system",
          action,
          targetDiscordId: ALICE,
          targetRobloxUserId: 100,
          before: i === 0 ? undefined : { rank: i },
          after: { rank: i + 1 },
          outcome: i === 2 ? "partial" : undefined,
          detail: i === 2 ? "roblox write failed" : undefined,
        });
      }
      await repos.audit.append(G2, { actorId: "system", action: "link", targetDiscordId: ALICE });
      const entries = await repos.audit.listForMember(G1, ALICE, 2);
      expect(entries.map((e) => e.action)).toEqual(["rank.demote", "rank.promote"]);
      expect(entries[0]).toMatchObject({ outcome: "partial", before: { rank: 2 }, after: { rank: 3 }, detail: "roblox write failed" });
      const first = (await repos.audit.listForMember(G1, ALICE)).at(-1)!;
      expect(first).toMatchObject({ action: "link", outcome: "ok", before: null, actorId: ALICE });
      expect(await repos.audit.listLatest(G2)).toHaveLength(1);
      expect(await repos.audit.listLatest(G1, { action: "link" })).toHaveLength(1);
      expect(await repos.audit.pruneOlderThan(G1, clock.now)).toBe(2);
      expect(await repos.audit.listLatest(G1)).toHaveLength(1);
    });

    test("absent before/after are stored as SQL NULL, not the text 'null'", async () => {
      const { repos, rows } = await stores.open();
      await repos.audit.append(G1, { actorId: "system", action: "sync.run" });
      expect(await rows("SELECT CASE WHEN before IS NULL THEN 1 ELSE 0 END AS n FROM audit_log")).toEqual([{ n: 1 }]);
    });
  });

  describe("sync runs", () => {
    test("one running run per guild; pause, resume, finish, list latest", async () => {
      const { repos, clock } = await stores.open();
      const a = await repos.syncRuns.start(G1, { trigger: "manual", dryRun: true, interactionToken: "tok", interactionAppId: "app" });
      expect(a.ok).toBe(true);
      const run = a.run;
      expect(await repos.syncRuns.start(G1, { trigger: "background" })).toMatchObject({ ok: false, reason: "already-running", run: { id: run.id } });
      expect((await repos.syncRuns.start(G2, { trigger: "background" })).ok).toBe(true);
      expect((await repos.syncRuns.guildsWithUnfinishedRuns()).sort()).toEqual([G1, G2]);

      await repos.syncRuns.updateProgress(G1, run.id, { total: 10, updated: 3, progress: { phase: "apply", next: 3 } });
      expect(await repos.syncRuns.pause(G1, run.id, "missing Manage Roles")).toMatchObject({ status: "paused", error: "missing Manage Roles" });
      expect(await repos.syncRuns.findRunning(G1)).toBeUndefined();
      expect((await repos.syncRuns.findUnfinished(G1))!.id).toBe(run.id);
      expect(await repos.syncRuns.resume(G1, run.id)).toMatchObject({ ok: true, run: { status: "running", error: null } });

      clock.now += 500;
      const done = (await repos.syncRuns.finish(G1, run.id, { status: "done", updated: 4, inSync: 6 }))!;
      expect(done).toMatchObject({ status: "done", updated: 4, inSync: 6, total: 10, dryRun: true, finishedAt: clock.now, interactionToken: null });
      expect(done.progress).toEqual({ phase: "apply", next: 3 });
      expect(await repos.syncRuns.findUnfinished(G1)).toBeUndefined();
      // Another guild can't see or touch it.
      expect(await repos.syncRuns.get(G2, run.id)).toBeUndefined();
      expect(await repos.syncRuns.finish(G2, run.id, { status: "failed" })).toBeUndefined();

      clock.now += 1;
      await repos.syncRuns.start(G1, { trigger: "background" });
      expect((await repos.syncRuns.listLatest(G1)).map((r) => r.trigger)).toEqual(["background", "manual"]);
    });

    test("the database refuses a second running run even if the repository is bypassed", async () => {
      const { rows } = await stores.open();
      await rows(`INSERT INTO sync_runs (guild_id, trigger, status) VALUES ('${G1}', 'manual', 'running')`);
      await rows(`INSERT INTO sync_runs (guild_id, trigger, status) VALUES ('${G1}', 'manual', 'done')`);
      await expect(rows(`INSERT INTO sync_runs (guild_id, trigger, status) VALUES ('${G1}', 'manual', 'running')`)).rejects.toThrow(/UNIQUE|unique/);
    });

    test("items: insert in plan order, mark, list pending, resume redoes only unfinished items", async () => {
      const { repos } = await stores.open();
      const run = (await repos.syncRuns.start(G1, { trigger: "manual" })).run;
      await repos.syncRuns.insertItems(G1, run.id, [
        { discordId: "a", robloxUserId: 1, fromRankId: 1, toRankId: 2, addRoles: ["r2"], removeRoles: ["r1"] },
        { discordId: "b", robloxUserId: 2, addRoles: ["r2"] },
      ]);
      await repos.syncRuns.insertItems(G1, run.id, [{ discordId: "c" }]); // seq continues
      expect(await repos.syncRuns.markItem(G1, run.id, { discordId: "a", status: "done" })).toBe(true);
      expect(await repos.syncRuns.markItem(G2, run.id, { discordId: "b", status: "done" })).toBe(false);
      expect(await repos.syncRuns.markItems(G1, run.id, [{ discordId: "b", status: "failed", error: "403" }, { discordId: "zz", status: "done" }])).toBe(1);

      const pending = await repos.syncRuns.listPendingItems(G1, run.id);
      expect(pending.map((i) => [i.discordId, i.seq])).toEqual([["c", 2]]);
      expect(await repos.syncRuns.listPendingItems(G2, run.id)).toEqual([]);
      expect(await repos.syncRuns.countItems(G1, run.id)).toEqual({ pending: 1, done: 1, failed: 1, skipped: 0, held: 0 });
      expect(await repos.syncRuns.countItems(G2, run.id)).toEqual({ pending: 0, done: 0, failed: 0, skipped: 0, held: 0 });
      expect(async () => await repos.syncRuns.insertItems(G2, run.id, [{ discordId: "x" }])).toThrow(/does not exist in guild/);
    });

    test("the sync's steps: a plan slice (items, stored ranks, progress), applied marks with their audit rows, held items released", async () => {
      const { repos } = await stores.open();
      const [recruit, , officer] = (await repos.ranks.replace(G1, ladder)).ladder;
      const [otherGuildRank] = (await repos.ranks.replace(G2, ladder)).ladder;
      for (const discordId of [ALICE, BOB]) await repos.members.link(G1, discordId, { robloxUserId: discordId === ALICE ? 1 : 2, robloxUsername: discordId, verifiedBy: "oauth" });
      const run = (await repos.syncRuns.start(G1, { trigger: "manual" })).run;

      await repos.syncRuns.savePlanSlice(
        G1,
        run.id,
        [
          { discordId: ALICE, toRankId: officer!.id, addRoles: ["r3"] },
          { discordId: BOB, toRankId: recruit!.id, status: "held", addRoles: ["r1"] },
        ],
        // Another guild's rank is never stored on this guild's member.
        [{ discordId: ALICE, rankId: officer!.id }, { discordId: BOB, rankId: otherGuildRank!.id }],
        { total: 2, updated: 1 },
      );
      expect((await repos.members.get(G1, ALICE))!.rankId).toBe(officer!.id);
      expect((await repos.members.get(G1, BOB))!.rankId).toBeNull();
      expect(await repos.syncRuns.get(G1, run.id)).toMatchObject({ total: 2, updated: 1 });
      expect(await repos.syncRuns.countItems(G1, run.id)).toMatchObject({ pending: 1, held: 1 });

      await repos.syncRuns.saveMarks(G1, run.id, [{ discordId: ALICE, status: "done" }], [{ actorId: "system", action: "sync.member", targetDiscordId: ALICE }], { updated: 2 });
      expect(await repos.syncRuns.countItems(G1, run.id)).toMatchObject({ pending: 0, done: 1, held: 1 });
      expect((await repos.audit.listForMember(G1, ALICE)).map((entry) => entry.action)).toEqual(["sync.member"]);
      expect((await repos.syncRuns.get(G1, run.id))!.updated).toBe(2);

      // Another guild releases nothing of this run.
      expect(await repos.syncRuns.releaseHeld(G2, run.id, () => ({ storeRank: true }))).toEqual([]);
      const queued = await repos.syncRuns.releaseHeld(G1, run.id, () => ({ storeRank: true }));
      expect(queued.map((item) => item.discordId)).toEqual([BOB]);
      expect((await repos.members.get(G1, BOB))!.rankId).toBe(recruit!.id);
      expect(await repos.syncRuns.countItems(G1, run.id)).toMatchObject({ pending: 1, done: 1, held: 0 });
    });

    test("a duplicate discord id rolls back the whole batch", async () => {
      const { repos } = await stores.open();
      const run = (await repos.syncRuns.start(G1, { trigger: "manual" })).run;
      expect(async () => await repos.syncRuns.insertItems(G1, run.id, [{ discordId: "a" }, { discordId: "b" }, { discordId: "a" }])).toThrow();
      expect((await repos.syncRuns.countItems(G1, run.id)).pending).toBe(0);
    });

    // How fast is bench/bulk-sync.ts's to say (it writes a whole run's items); here, that they all land.
    test("20,000 items insert in one batch; JSON columns round-trip", async () => {
      const { repos } = await stores.open();
      const run = (await repos.syncRuns.start(G1, { trigger: "background" })).run;
      const items = Array.from({ length: 20_000 }, (_, i) => ({
        discordId: String(700_000_000_000_000_000n + BigInt(i)),
        robloxUserId: 10_000_000 + i,
        fromRankId: 1,
        toRankId: 2,
        addRoles: ["500000000000000002"],
        removeRoles: ["500000000000000001"],
      }));
      expect(await repos.syncRuns.insertItems(G1, run.id, items)).toBe(20_000);
      expect((await repos.syncRuns.countItems(G1, run.id)).pending).toBe(20_000);

      const page = await repos.syncRuns.listPendingItems(G1, run.id, { limit: 3 });
      expect(page.map((i) => i.seq)).toEqual([0, 1, 2]);
      expect(page[0]).toMatchObject({ addRoles: ["500000000000000002"], removeRoles: ["500000000000000001"], status: "pending" });
      const next = await repos.syncRuns.listPendingItems(G1, run.id, { afterSeq: 19_997 });
      expect(next.map((i) => i.seq)).toEqual([19_998, 19_999]);
    }, 60_000);

    test("deleting a run cascades to its items; pruneHistory keeps the newest finished runs", async () => {
      const { repos, rows, clock } = await stores.open();
      const ids: number[] = [];
      for (let i = 0; i < 4; i++) {
        clock.now += 10;
        const run = (await repos.syncRuns.start(G1, { trigger: "background" })).run;
        await repos.syncRuns.insertItems(G1, run.id, [{ discordId: "a" }, { discordId: "b" }]);
        if (i < 3) await repos.syncRuns.finish(G1, run.id, { status: i === 1 ? "failed" : "done" });
        ids.push(run.id);
      }
      const itemCount = async () => Number((await rows("SELECT count(*) AS n FROM sync_run_items"))[0]!.n);
      expect(await itemCount()).toBe(8);
      // Keep the newest 2 runs: the running one and the last finished one; the 2 older finished runs go.
      expect(await repos.syncRuns.pruneHistory(G1, 2)).toBe(2);
      expect((await repos.syncRuns.listLatest(G1)).map((r) => r.id)).toEqual([ids[3]!, ids[2]!]);
      expect(await itemCount()).toBe(4);
      await rows(`DELETE FROM sync_runs WHERE id = ${ids[2]}`);
      expect(await itemCount()).toBe(2);
      // The running run survives any prune.
      expect(await repos.syncRuns.pruneHistory(G1, 0)).toBe(0);
    });
  });

  describe("pending Roblox writes", () => {
    const write = { discordId: ALICE, robloxUserId: 100, groupId: 7, targetRobloxRoleId: 9002, targetRank: 10 };

    test("a newer write for the same user replaces the older one under a new id", async () => {
      const { repos, clock } = await stores.open();
      const first = await repos.pendingWrites.enqueue(G1, write);
      expect(first.replaced).toBeUndefined();
      expect(await repos.pendingWrites.claimDue({ claimant: "w1", at: clock.now, holdMs: 60_000 })).toMatchObject([{ id: first.write.id, claimedBy: "w1" }]);
      await repos.pendingWrites.markAttempt(G1, first.write.id, { error: "HTTP 503", nextAttemptAt: clock.now + 60_000, claimant: "w1" });

      const second = await repos.pendingWrites.enqueue(G1, { ...write, targetRobloxRoleId: 9003, targetRank: 200 });
      expect(second.replaced).toMatchObject({ id: first.write.id, targetRank: 10, attempts: 1 });
      expect(second.write.id).not.toBe(first.write.id);
      expect(second.write).toMatchObject({ attempts: 0, lastError: null, targetRank: 200, claimedBy: null, claimedUntil: null });
      expect(await repos.pendingWrites.count(G1)).toBe(1);

      // A worker still holding the old row can neither update nor delete the new write.
      expect(await repos.pendingWrites.markAttempt(G1, first.write.id, { error: "x", nextAttemptAt: 0, claimant: "w1" })).toBeUndefined();
      expect(await repos.pendingWrites.delete(G1, first.write.id)).toBe(false);
      expect((await repos.pendingWrites.getForUser(G1, 100))!.targetRank).toBe(200);
    });

    test("due listing, attempts, per-guild scope and counts", async () => {
      const { repos, clock } = await stores.open();
      const a = (await repos.pendingWrites.enqueue(G1, write)).write;
      await repos.pendingWrites.enqueue(G1, { ...write, discordId: BOB, robloxUserId: 101, nextAttemptAt: clock.now + 10_000 });
      await repos.pendingWrites.enqueue(G2, write); // same user in another guild: independent

      expect((await repos.pendingWrites.listDue(G1)).map((w) => w.robloxUserId)).toEqual([100]);
      expect((await repos.pendingWrites.guildsWithDue()).sort()).toEqual([G1, G2]);
      expect((await repos.pendingWrites.claimDue({ claimant: "w1", at: clock.now, holdMs: 60_000 })).map((w) => w.id)).toEqual([a.id]);
      const attempted = (await repos.pendingWrites.markAttempt(G1, a.id, { error: "HTTP 429", nextAttemptAt: clock.now + 20_000, claimant: "w1" }))!;
      expect(attempted).toMatchObject({ attempts: 1, lastError: "HTTP 429", claimedBy: null, claimedUntil: null });
      expect(await repos.pendingWrites.listDue(G1)).toEqual([]);
      clock.now += 10_000;
      expect((await repos.pendingWrites.listDue(G1)).map((w) => w.robloxUserId)).toEqual([101]);
      expect(await repos.pendingWrites.list(G1)).toHaveLength(2);

      expect(await repos.pendingWrites.delete(G2, a.id)).toBe(false);
      expect(await repos.pendingWrites.delete(G1, a.id)).toBe(true);
      expect((await repos.pendingWrites.removeForUser(G1, 101))!.discordId).toBe(BOB);
      expect(await repos.pendingWrites.count(G1)).toBe(0);
      expect(await repos.pendingWrites.count(G2)).toBe(1);
      expect(await repos.pendingWrites.countAll()).toBe(1);
    });
  });

  describe("OAuth challenges, feed cursors, dashboard sessions, stored keys", () => {
    test("an OAuth challenge binds to the first browser only, then takes the proved account", async () => {
      const { repos, clock } = await stores.open();
      await repos.linkChallenges.put(G1, ALICE, { kind: "oauth", oauthState: "state-1", pkceVerifier: "v", expiresAt: clock.now + 60_000 });
      expect(await repos.linkChallenges.bindBrowser("state-1", "browser-a")).toBe(true);
      expect(await repos.linkChallenges.bindBrowser("state-1", "browser-b")).toBe(false);
      await repos.linkChallenges.recordOAuthProof("state-1", { robloxUserId: 42, robloxUsername: "alice_rbx" });
      expect(await repos.linkChallenges.findByOAuthState("state-1")).toMatchObject({ browserBinding: "browser-a", robloxUserId: 42, robloxUsername: "alice_rbx" });
      clock.now += 60_000;
      expect(await repos.linkChallenges.bindBrowser("state-1", "browser-c")).toBe(false);
    });

    test("a group's feed cursor is created on the first save and moved by the next; keys round-trip", async () => {
      const { repos, clock } = await stores.open();
      expect(await repos.feedCursors.get(7)).toBeUndefined();
      await repos.feedCursors.save(7, { newestCreatedAt: 1_000, newestKeys: ["a", "b"] });
      clock.now += 5;
      await repos.feedCursors.save(7, { newestCreatedAt: 2_000, newestKeys: ["c"] });
      expect(await repos.feedCursors.get(7)).toEqual({ groupId: 7, scope: "", newestCreatedAt: 2_000, newestKeys: ["c"], fence: 0, updatedAt: clock.now });
      expect(await repos.feedCursors.get(8)).toBeUndefined();
    });

    test("feed cursors: each scope has its own; a fenced save is refused once a later token moved the cursor", async () => {
      const { repos } = await stores.open();
      await repos.feedCursors.save(7, { newestCreatedAt: 1_000, newestKeys: ["a"] }, { scope: "0/2" });
      await repos.feedCursors.save(7, { newestCreatedAt: 5_000, newestKeys: ["z"] }, { scope: "1/2" });
      expect((await repos.feedCursors.get(7, "0/2"))?.newestKeys).toEqual(["a"]);
      expect((await repos.feedCursors.get(7, "1/2"))?.newestKeys).toEqual(["z"]);
      expect(await repos.feedCursors.get(7)).toBeUndefined();

      expect(await repos.feedCursors.save(7, { newestCreatedAt: 2_000, newestKeys: ["b"] }, { fence: 100 })).toBe(true);
      expect(await repos.feedCursors.save(7, { newestCreatedAt: 3_000, newestKeys: ["c"] }, { fence: 200 })).toBe(true);
      // The reader holding token 100 lost its lease to 200: it may not move the cursor back.
      expect(await repos.feedCursors.save(7, { newestCreatedAt: 2_500, newestKeys: ["old"] }, { fence: 100 })).toBe(false);
      expect(await repos.feedCursors.get(7)).toMatchObject({ newestCreatedAt: 3_000, newestKeys: ["c"], fence: 200 });
      expect(await repos.feedCursors.save(7, { newestCreatedAt: 4_000, newestKeys: ["d"] }, { fence: 200 })).toBe(true);
      expect((await repos.feedCursors.get(7, "0/2"))?.newestKeys).toEqual(["a"]);
    });

    test("dashboard: a sign-in is taken once and only before it expires; sessions expire and are deleted", async () => {
      const { repos, clock } = await stores.open();
      await repos.dashboard.putSignIn({ stateHash: "s1", browserBinding: "b1", pkceVerifier: "v1", expiresAt: clock.now + 1_000 });
      await repos.dashboard.putSignIn({ stateHash: "s2", browserBinding: "b2", pkceVerifier: "v2", expiresAt: clock.now + 1_000 });
      expect(await repos.dashboard.takeSignIn("s1")).toMatchObject({ stateHash: "s1", pkceVerifier: "v1" });
      expect(await repos.dashboard.takeSignIn("s1")).toBeUndefined();
      const session = { idHash: "h1", discordUserId: ALICE, username: "alice", displayName: "Alice", guildIds: [G1, G2], csrfToken: "csrf", expiresAt: clock.now + 2_000 };
      await repos.dashboard.putSession(session);
      expect(await repos.dashboard.session("h1")).toEqual({ ...session, createdAt: clock.now });
      clock.now += 1_500;
      expect(await repos.dashboard.takeSignIn("s2")).toBeUndefined(); // expired: spent, not returned
      expect(await repos.dashboard.deleteExpired()).toBe(0);
      clock.now += 1_000;
      expect(await repos.dashboard.session("h1")).toBeUndefined();
      expect(await repos.dashboard.deleteExpired()).toBe(1);
      await repos.dashboard.putSession({ ...session, idHash: "h2", expiresAt: clock.now + 1_000 });
      expect(await repos.dashboard.deleteSession("h2")).toBe(true);
      expect(await repos.dashboard.deleteSession("h2")).toBe(false);
    });

    test("guilds with a stored Roblox key of their own, and only those", async () => {
      const { repos } = await stores.open();
      await repos.guilds.upsert(G1, { robloxApiKeyEncrypted: "sealed" });
      await repos.guilds.ensure(G2);
      expect((await repos.guilds.listWithApiKey()).map((guild) => guild.guildId)).toEqual([G1]);
    });
  });

  describe("meta and guild purge", () => {
    test("meta get/set/delete", async () => {
      const { repos } = await stores.open();
      expect(await repos.meta.get("commands:hash")).toBeUndefined();
      await repos.meta.set("commands:hash", "abc");
      await repos.meta.set("commands:hash", "def");
      expect(await repos.meta.get("commands:hash")).toBe("def");
      expect(await repos.meta.delete("commands:hash")).toBe(true);
      expect(await repos.meta.get("commands:hash")).toBeUndefined();
    });

    test("purge removes one guild's data and nothing else", async () => {
      const { repos, rows } = await stores.open();
      for (const g of [G1, G2]) {
        await repos.guilds.ensure(g);
        const rank = (await repos.ranks.replace(g, ladder)).ladder[0]!;
        await repos.members.link(g, ALICE, { robloxUserId: 1, robloxUsername: "a", verifiedBy: "oauth" });
        await repos.members.setStoredRank(g, ALICE, rank.id);
        await repos.audit.append(g, { actorId: "system", action: "link" });
        const run = (await repos.syncRuns.start(g, { trigger: "manual" })).run;
        await repos.syncRuns.insertItems(g, run.id, [{ discordId: ALICE }]);
        await repos.pendingWrites.enqueue(g, { discordId: ALICE, robloxUserId: 1, groupId: 1, targetRobloxRoleId: 9001, targetRank: 1 });
        await repos.linkChallenges.put(g, ALICE, { kind: "phrase", phrase: "p", expiresAt: Date.now() + 1e9 });
      }
      await repos.guilds.purge(G1);
      const remaining = { guild_settings: 1, ranks: ladder.length, members: 1, audit_log: 1, sync_runs: 1, sync_run_items: 1, pending_roblox_writes: 1, link_challenges: 1 };
      for (const [table, n] of Object.entries(remaining)) {
        expect([table, Number((await rows(`SELECT count(*) AS n FROM ${table}`))[0]!.n)]).toEqual([table, n]);
      }
      expect(await rows(`SELECT DISTINCT guild_id FROM members`)).toEqual([{ guild_id: G2 }]);
      expect((await repos.members.get(G2, ALICE))!.rankId).not.toBeNull();
    });
  });
});
