import { and, eq, gt, isNull, lte } from "drizzle-orm";
import { clockOf, type Promised, type RepositoryOptions } from "../../repositories/common.ts";
import { challengeFields, type LinkChallengeRepository } from "../../repositories/linkChallenges.ts";
import type { LinkChallengeKind } from "../../schema.ts";
import { linkChallenges } from "../schema.ts";
import type { PgExec } from "./common.ts";

/** linkChallenges.ts over PostgreSQL. */
export function createPgLinkChallengeRepository(db: PgExec, options?: RepositoryOptions): Promised<LinkChallengeRepository> {
  const now = clockOf(options);
  const ofMember = (guildId: string, discordId: string, kind: LinkChallengeKind) =>
    and(eq(linkChallenges.guildId, guildId), eq(linkChallenges.discordId, discordId), eq(linkChallenges.kind, kind));
  return {
    async put(guildId, discordId, input) {
      const fields = challengeFields(input, now());
      const [row] = await db
        .insert(linkChallenges)
        .values({ guildId, discordId, kind: input.kind, ...fields })
        .onConflictDoUpdate({ target: [linkChallenges.guildId, linkChallenges.discordId, linkChallenges.kind], set: fields })
        .returning();
      return row!;
    },
    async get(guildId, discordId, kind, at = now()) {
      const [row] = await db.select().from(linkChallenges).where(and(ofMember(guildId, discordId, kind), gt(linkChallenges.expiresAt, at)));
      return row;
    },
    async findByOAuthState(state, at = now()) {
      const [row] = await db
        .select()
        .from(linkChallenges)
        .where(and(eq(linkChallenges.oauthState, state), eq(linkChallenges.kind, "oauth"), gt(linkChallenges.expiresAt, at)));
      return row;
    },
    async bindBrowser(state, binding, at = now()) {
      const bound = await db
        .update(linkChallenges)
        .set({ browserBinding: binding })
        .where(and(eq(linkChallenges.oauthState, state), isNull(linkChallenges.browserBinding), gt(linkChallenges.expiresAt, at)))
        .returning({ id: linkChallenges.id });
      return bound.length > 0;
    },
    async recordOAuthProof(state, proof) {
      await db.update(linkChallenges).set(proof).where(eq(linkChallenges.oauthState, state));
    },
    async delete(guildId, discordId, kind) {
      return (await db.delete(linkChallenges).where(ofMember(guildId, discordId, kind)).returning({ id: linkChallenges.id })).length > 0;
    },
    async deleteExpired(at = now()) {
      return (await db.delete(linkChallenges).where(lte(linkChallenges.expiresAt, at)).returning({ id: linkChallenges.id })).length;
    },
  };
}
