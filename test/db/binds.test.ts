import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { drizzle } from "drizzle-orm/bun-sqlite";
import { openDatabase } from "../../src/db/client.ts";
import { createRepositories } from "../../src/db/index.ts";
import { applyMigrations, embeddedMigrations } from "../../src/db/migrate.ts";
import { BindRankNotFoundError } from "../../src/db/repositories/binds.ts";
import { BindSet, type MemberStanding } from "../../src/ranks/binds.ts";
import { RankLadder } from "../../src/ranks/ladder.ts";
import { tempDir } from "./helpers.ts";
import { DIALECTS, storesOf } from "./dialects.ts";

const G1 = "111111111111111111";
const G2 = "222222222222222222";
const ROLE = { recruit: "500000000000000001", officer: "500000000000000003", ally: "500000000000000009", extra: "500000000000000010" };

const ladder = [
  { name: "Recruit", robloxRoleId: 9001, robloxRank: 1, discordRoleId: ROLE.recruit },
  { name: "Private", robloxRoleId: 9002, robloxRank: 10 },
  { name: "Officer", robloxRoleId: 9003, robloxRank: 200, discordRoleId: ROLE.officer },
];

describe.each(DIALECTS)("bind repository on %s", (_name, dialect) => {
  const stores = storesOf(dialect);
  afterEach(() => stores.closeAll());

  describe("bind repository", () => {
    test("a rank's own role is its rank bind; adding under the same condition merges roles", async () => {
      const { repos } = await stores.open();
      const [recruit, , officer] = (await repos.ranks.replace(G1, ladder)).ladder;
      expect((await repos.binds.list(G1)).map((bind) => [bind.kind, bind.roleIds, bind.origin.rankRole])).toEqual([
        ["rank", [ROLE.recruit], true],
        ["rank", [ROLE.officer], true],
      ]);
      const first = await repos.binds.add(G1, { kind: "rank", rankId: officer!.id }, [ROLE.extra]);
      expect(first.created).toBe(true);
      const again = await repos.binds.add(G1, { kind: "rank", rankId: officer!.id }, [ROLE.ally, ROLE.extra]);
      expect(again).toMatchObject({ created: false, bind: { origin: { id: first.bind.origin.id }, roleIds: [ROLE.extra, ROLE.ally] } });
      // The rank's own role is untouched by the extra binds.
      expect((await repos.ranks.get(G1, officer!.id))!.discordRoleId).toBe(ROLE.officer);
      expect(await repos.binds.rankRoles(G1)).toEqual(new Map([[recruit!.id, ROLE.recruit], [officer!.id, ROLE.officer]]));

      const range = (await repos.binds.add(G1, { kind: "range", groupId: 77, minRank: 0, maxRank: 0 }, [ROLE.ally])).bind;
      expect(range).toMatchObject({ kind: "range", groupId: 77, minRank: 0, maxRank: 0, roleIds: [ROLE.ally] });
      expect(await repos.binds.get(G1, range.origin.id)).toEqual(range);
      expect(await repos.binds.remove(G1, range.origin.id)).toEqual(range);
      expect(await repos.binds.get(G1, range.origin.id)).toBeUndefined();
    });

    test("one guild never reads, removes or binds to another guild's binds or ranks", async () => {
      const { repos } = await stores.open();
      const g1Officer = (await repos.ranks.replace(G1, ladder)).ladder[2]!;
      await repos.ranks.replace(G2, [{ name: "Member", robloxRoleId: 1, robloxRank: 1, discordRoleId: ROLE.extra }]);
      const linked = (await repos.binds.add(G1, { kind: "linked" }, [ROLE.ally])).bind;

      expect((await repos.binds.list(G2)).map((bind) => bind.roleIds)).toEqual([[ROLE.extra]]);
      expect(await repos.binds.get(G2, linked.origin.id)).toBeUndefined();
      expect(await repos.binds.remove(G2, linked.origin.id)).toBeUndefined();
      expect(await repos.binds.get(G1, linked.origin.id)).toEqual(linked);
      expect(async () => await repos.binds.add(G2, { kind: "rank", rankId: g1Officer.id }, [ROLE.ally])).toThrow(BindRankNotFoundError);
      // Forgetting a role in G2 leaves G1's binds alone.
      await repos.binds.forgetRole(G2, ROLE.ally);
      expect(await repos.binds.get(G1, linked.origin.id)).toEqual(linked);
      await repos.guilds.purge(G2);
      expect(await repos.binds.list(G2)).toEqual([]);
      expect(await repos.binds.list(G1)).toHaveLength(3);
    });

    test("a deleted Discord role leaves every bind; binds left with no role go; the database refuses impossible binds", async () => {
      const { repos, rows } = await stores.open();
      const [recruit, , officer] = (await repos.ranks.replace(G1, ladder)).ladder;
      await repos.binds.add(G1, { kind: "rank", rankId: officer!.id }, [ROLE.recruit, ROLE.extra]);
      const range = (await repos.binds.add(G1, { kind: "range", groupId: 5, minRank: 1, maxRank: 255 }, [ROLE.recruit])).bind;

      expect((await repos.ranks.unbindDiscordRole(G1, ROLE.recruit)).map((rank) => rank.id)).toEqual([recruit!.id]);
      expect((await repos.ranks.get(G1, recruit!.id))!.discordRoleId).toBeNull();
      expect(await repos.binds.get(G1, range.origin.id)).toBeUndefined();
      expect((await repos.binds.list(G1)).map((bind) => bind.roleIds)).toEqual([[ROLE.officer], [ROLE.extra]]);

      const value = (v: number | null) => (v === null ? "NULL" : String(v));
      const insert = (kind: string, rankId: number | null, groupId: number | null, min: number | null, max: number | null) =>
        rows(`INSERT INTO binds (guild_id, kind, rank_id, group_id, min_rank, max_rank, role_ids) VALUES ('${G1}', '${kind}', ${[rankId, groupId, min, max].map(value).join(", ")}, '[]')`);
      await expect(insert("range", null, 5, 10, 2)).rejects.toThrow(/CHECK|check constraint/);
      await expect(insert("range", null, 5, 0, 256)).rejects.toThrow(/CHECK|check constraint/);
      await expect(insert("rank", null, null, null, null)).rejects.toThrow(/CHECK|check constraint/);
      await expect(insert("linked", officer!.id, null, null, null)).rejects.toThrow(/CHECK|check constraint/);
    });

    test("re-importing the ladder keeps extra rank binds; a removed rank takes its binds along", async () => {
      const { repos } = await stores.open();
      const officer = (await repos.ranks.replace(G1, ladder)).ladder[2]!;
      await repos.binds.add(G1, { kind: "rank", rankId: officer.id }, [ROLE.extra]);
      await repos.ranks.replace(G1, [ladder[0]!, { ...ladder[2]!, discordRoleId: undefined }]);
      expect((await repos.binds.list(G1)).map((bind) => bind.roleIds)).toEqual([[ROLE.recruit], [ROLE.officer], [ROLE.extra]]);
      await repos.ranks.replace(G1, [ladder[0]!]);
      expect((await repos.binds.list(G1)).map((bind) => bind.roleIds)).toEqual([[ROLE.recruit]]);
    });
  });
});

describe("binds migration", () => {
  test("a database at the previous migration with a ladder gives the same wanted roles after migrating", async () => {
    const t = tempDir();
    try {
      const path = join(t.dir, "old.sqlite");
      const all = embeddedMigrations();
      const bindsIndex = all.findIndex((migration) => migration.sql.some((statement) => statement.includes("CREATE TABLE `binds`")));
      expect(bindsIndex).toBeGreaterThan(0);

      // The previous schema, with a ladder stored the old way (ranks.discord_role_id), in two guilds.
      const old = new Database(path);
      old.run("PRAGMA foreign_keys = ON");
      applyMigrations(drizzle(old), all.slice(0, bindsIndex));
      const insertRank = old.prepare("INSERT INTO ranks (guild_id, position, name, roblox_role_id, roblox_rank, discord_role_id) VALUES (?, ?, ?, ?, ?, ?)");
      insertRank.run(G1, 0, "Recruit", 9001, 1, ROLE.recruit);
      insertRank.run(G1, 1, "Private", 9002, 10, null);
      insertRank.run(G1, 2, "Officer", 9003, 200, ROLE.officer);
      insertRank.run(G2, 0, "Member", 9001, 1, ROLE.extra);
      const oldRoles = old.query("SELECT guild_id, roblox_role_id, discord_role_id FROM ranks ORDER BY id").all();
      old.close();

      const migrated = openDatabase(path);
      try {
        const repos = createRepositories(migrated.db);
        expect(
          (
            await Promise.all(
              [G1, G2].map(async (guildId) =>
                (await repos.ranks.list(guildId)).map((rank) => ({ guild_id: guildId, roblox_role_id: rank.robloxRoleId, discord_role_id: rank.discordRoleId })),
              ),
            )
          ).flat(),
        ).toEqual(oldRoles as never);

        // What the old planner wanted (the rank's one role) is what the binds want now, for every rank.
        const rankLadder = new RankLadder(await repos.ranks.list(G1));
        const bindSet = new BindSet(await repos.binds.list(G1));
        for (const rank of rankLadder.ranks) {
          const standing: MemberStanding = { linked: true, rankIds: [rank.id], groups: new Map() };
          expect([...bindSet.wanted(standing)]).toEqual(rank.discordRoleId ? [rank.discordRoleId] : []);
        }
        expect([...bindSet.managedRoleIds].sort()).toEqual([...rankLadder.boundDiscordRoleIds()].sort());
        expect(new BindSet(await repos.binds.list(G2)).managedRoleIds).toEqual(new Set([ROLE.extra]));
        // Settings added by the migration start empty/off.
        migrated.sqlite.run("INSERT INTO guild_settings (guild_id) VALUES (?)", [G1]);
        expect(await repos.guilds.get(G1)).toMatchObject({ verifiedRoleId: null, unverifiedRoleId: null, nicknameTemplate: null, groupLockMode: null, minAccountAgeDays: 0 });
      } finally {
        migrated.close();
      }
    } finally {
      t.cleanup();
    }
  });
});
