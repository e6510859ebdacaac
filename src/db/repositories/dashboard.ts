import { and, eq, gt, lte } from "drizzle-orm";
import type { Db } from "../client.ts";
import { dashboardSessions, dashboardSignIns, type DashboardSession, type DashboardSignIn, type EpochMs } from "../schema.ts";
import { clockOf, type RepositoryOptions } from "./common.ts";

export type DashboardRepository = ReturnType<typeof createDashboardRepository>;

export type NewDashboardSession = Omit<DashboardSession, "createdAt">;

/**
 * The dashboard's sign-ins in flight and its sessions (design §9). Callers pass hashes, never the
 * cookie's token or the state itself: what is stored cannot be replayed.
 */
export function createDashboardRepository(db: Db, options?: RepositoryOptions) {
  const now = clockOf(options);

  return {
    putSignIn(signIn: Omit<DashboardSignIn, "createdAt">): void {
      db.insert(dashboardSignIns).values({ ...signIn, createdAt: now() }).run();
    },

    /** Deletes and returns the unexpired sign-in with this state: a state is spent by its first callback. */
    takeSignIn(stateHash: string, at: EpochMs = now()): DashboardSignIn | undefined {
      const taken = db.delete(dashboardSignIns).where(eq(dashboardSignIns.stateHash, stateHash)).returning().get();
      return taken && taken.expiresAt > at ? taken : undefined;
    },

    putSession(session: NewDashboardSession): void {
      db.insert(dashboardSessions).values({ ...session, createdAt: now() }).run();
    },

    /** The unexpired session with this id hash. */
    session(idHash: string, at: EpochMs = now()): DashboardSession | undefined {
      return db
        .select()
        .from(dashboardSessions)
        .where(and(eq(dashboardSessions.idHash, idHash), gt(dashboardSessions.expiresAt, at)))
        .get();
    },

    /** Ends a session; true when it existed. */
    deleteSession(idHash: string): boolean {
      return db.delete(dashboardSessions).where(eq(dashboardSessions.idHash, idHash)).returning({ idHash: dashboardSessions.idHash }).all().length > 0;
    },

    /** Removes expired sign-ins and sessions; returns how many rows went. */
    deleteExpired(at: EpochMs = now()): number {
      const signIns = db.delete(dashboardSignIns).where(lte(dashboardSignIns.expiresAt, at)).returning({ id: dashboardSignIns.stateHash }).all();
      const sessions = db.delete(dashboardSessions).where(lte(dashboardSessions.expiresAt, at)).returning({ id: dashboardSessions.idHash }).all();
      return signIns.length + sessions.length;
    },
  };
}
