import { and, eq, gt, lte } from "drizzle-orm";
import { clockOf, type Promised, type RepositoryOptions } from "../../repositories/common.ts";
import type { DashboardRepository } from "../../repositories/dashboard.ts";
import { dashboardSessions, dashboardSignIns } from "../schema.ts";
import type { PgExec } from "./common.ts";

/** dashboard.ts over PostgreSQL. */
export function createPgDashboardRepository(db: PgExec, options?: RepositoryOptions): Promised<DashboardRepository> {
  const now = clockOf(options);
  return {
    async putSignIn(signIn) {
      await db.insert(dashboardSignIns).values({ ...signIn, createdAt: now() });
    },
    async takeSignIn(stateHash, at = now()) {
      const [taken] = await db.delete(dashboardSignIns).where(eq(dashboardSignIns.stateHash, stateHash)).returning();
      return taken && taken.expiresAt > at ? taken : undefined;
    },
    async putSession(session) {
      await db.insert(dashboardSessions).values({ ...session, createdAt: now() });
    },
    async session(idHash, at = now()) {
      const [row] = await db.select().from(dashboardSessions).where(and(eq(dashboardSessions.idHash, idHash), gt(dashboardSessions.expiresAt, at)));
      return row;
    },
    async deleteSession(idHash) {
      return (await db.delete(dashboardSessions).where(eq(dashboardSessions.idHash, idHash)).returning({ idHash: dashboardSessions.idHash })).length > 0;
    },
    async deleteExpired(at = now()) {
      const signIns = await db.delete(dashboardSignIns).where(lte(dashboardSignIns.expiresAt, at)).returning({ id: dashboardSignIns.stateHash });
      const sessions = await db.delete(dashboardSessions).where(lte(dashboardSessions.expiresAt, at)).returning({ id: dashboardSessions.idHash });
      return signIns.length + sessions.length;
    },
  };
}
