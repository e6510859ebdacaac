import { eq } from "drizzle-orm";
import type { RepositoryOptions } from "../../repositories/common.ts";
import { clockOf } from "../../repositories/common.ts";
import type { MetaRepository } from "../../repositories/meta.ts";
import type { Promised } from "../../repositories/common.ts";
import { meta } from "../schema.ts";
import type { PgExec } from "./common.ts";

/** meta.ts over PostgreSQL. */
export function createPgMetaRepository(db: PgExec, options?: RepositoryOptions): Promised<MetaRepository> {
  const now = clockOf(options);
  return {
    async get(key) {
      const [row] = await db.select({ value: meta.value }).from(meta).where(eq(meta.key, key));
      return row?.value;
    },
    async set(key, value) {
      const at = now();
      await db.insert(meta).values({ key, value, updatedAt: at }).onConflictDoUpdate({ target: meta.key, set: { value, updatedAt: at } });
    },
    async delete(key) {
      return (await db.delete(meta).where(eq(meta.key, key)).returning({ key: meta.key })).length > 0;
    },
  };
}
