import { afterEach, expect, test } from "bun:test";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { openPostgres } from "../../src/db/pg/client.ts";
import { applyPgMigrations, embeddedPgMigrations } from "../../src/db/pg/migrate.ts";
import { describeWithPostgres, scratchDatabase } from "./pg-helpers.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describeWithPostgres("binds migration (PostgreSQL)", () => {
  test("a database at the previous migration with a ladder keeps every rank's Discord role, now as its rank bind", async () => {
    const db = await scratchDatabase();
    cleanups.push(db.drop);
    const all = embeddedPgMigrations();
    const bindsIndex = all.findIndex((migration) => migration.sql.some((statement) => statement.includes('CREATE TABLE "binds"')));
    expect(bindsIndex).toBeGreaterThan(0);

    const old = postgres(db.url, { max: 2, onnotice: () => {} });
    try {
      await applyPgMigrations(old, drizzle(old), { migrations: all.slice(0, bindsIndex) });
      await old`INSERT INTO ranks (guild_id, position, name, roblox_role_id, roblox_rank, discord_role_id) VALUES
        ('111111111111111111', 0, 'Recruit', 9001, 1, '500000000000000001'),
        ('111111111111111111', 1, 'Private', 9002, 10, NULL),
        ('222222222222222222', 0, 'Member', 9001, 1, '500000000000000010')`;
    } finally {
      await old.end({ timeout: 1 });
    }

    const migrated = await openPostgres(db.url);
    cleanups.push(migrated.close);
    const binds = await migrated.sql<{ guild_id: string; name: string; role_ids: string[]; rank_role: boolean; kind: string }[]>`
      SELECT b.guild_id, r.name, b.role_ids, b.rank_role, b.kind FROM binds b JOIN ranks r ON r.id = b.rank_id ORDER BY b.id`;
    expect(binds.map((row) => ({ ...row }))).toEqual([
      { guild_id: "111111111111111111", name: "Recruit", role_ids: ["500000000000000001"], rank_role: true, kind: "rank" },
      { guild_id: "222222222222222222", name: "Member", role_ids: ["500000000000000010"], rank_role: true, kind: "rank" },
    ]);
  });
});
