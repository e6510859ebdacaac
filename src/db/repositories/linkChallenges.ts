import { and, eq, gt, isNull, lte } from "drizzle-orm";
import type { Db } from "../client.ts";
import { linkChallenges, type EpochMs, type LinkChallenge, type LinkChallengeKind } from "../schema.ts";
import { clockOf, runCounting, type RepositoryOptions } from "./common.ts";

export interface LinkChallengeInput {
  kind: LinkChallengeKind;
  robloxUserId?: number | null;
  robloxUsername?: string | null;
  /** The one-time phrase for the profile's About text (kind "phrase"). */
  phrase?: string | null;
  /** OAuth `state` and PKCE verifier (kind "oauth"). */
  oauthState?: string | null;
  pkceVerifier?: string | null;
  expiresAt: EpochMs;
}

/** The columns a stored challenge takes (both stores). */
export function challengeFields(input: LinkChallengeInput, at: EpochMs) {
  return {
    robloxUserId: input.robloxUserId ?? null,
    robloxUsername: input.robloxUsername ?? null,
    phrase: input.phrase ?? null,
    oauthState: input.oauthState ?? null,
    pkceVerifier: input.pkceVerifier ?? null,
    browserBinding: null,
    expiresAt: input.expiresAt,
    createdAt: at,
  };
}

export type LinkChallengeRepository = ReturnType<typeof createLinkChallengeRepository>;

export function createLinkChallengeRepository(db: Db, options?: RepositoryOptions) {
  const now = clockOf(options);
  const ofMember = (guildId: string, discordId: string, kind: LinkChallengeKind) =>
    and(eq(linkChallenges.guildId, guildId), eq(linkChallenges.discordId, discordId), eq(linkChallenges.kind, kind));

  /** Stores a challenge, replacing the member's previous one of the same kind. */
  function put(guildId: string, discordId: string, input: LinkChallengeInput): LinkChallenge {
    const fields = challengeFields(input, now());
    return db
      .insert(linkChallenges)
      .values({ guildId, discordId, kind: input.kind, ...fields })
      .onConflictDoUpdate({ target: [linkChallenges.guildId, linkChallenges.discordId, linkChallenges.kind], set: fields })
      .returning()
      .get();
  }

  /** The member's unexpired challenge of that kind. */
  function get(guildId: string, discordId: string, kind: LinkChallengeKind, at: EpochMs = now()): LinkChallenge | undefined {
    return db
      .select()
      .from(linkChallenges)
      .where(and(ofMember(guildId, discordId, kind), gt(linkChallenges.expiresAt, at)))
      .get();
  }

  /**
   * The unexpired OAuth challenge with this `state`. The one lookup not keyed by guild: the OAuth
   * callback only has the state, which is a unique random secret, so it can't select another
   * guild's challenge by mistake. The row tells which guild it belongs to.
   */
  function findByOAuthState(state: string, at: EpochMs = now()): LinkChallenge | undefined {
    return db
      .select()
      .from(linkChallenges)
      .where(and(eq(linkChallenges.oauthState, state), eq(linkChallenges.kind, "oauth"), gt(linkChallenges.expiresAt, at)))
      .get();
  }

  /**
   * Binds an OAuth challenge to a browser, only if no browser holds it yet; true when this call
   * bound it. The first browser to open the sign-in link wins; any other is refused.
   */
  function bindBrowser(state: string, binding: string, at: EpochMs = now()): boolean {
    const bound = db
      .update(linkChallenges)
      .set({ browserBinding: binding })
      .where(and(eq(linkChallenges.oauthState, state), isNull(linkChallenges.browserBinding), gt(linkChallenges.expiresAt, at)))
      .returning({ id: linkChallenges.id })
      .get();
    return bound !== undefined;
  }

  /** Records the Roblox account the OAuth sign-in proved, awaiting the member's confirmation. */
  function recordOAuthProof(state: string, proof: { robloxUserId: number; robloxUsername: string; robloxDisplayName?: string | null }): void {
    db.update(linkChallenges).set(proof).where(eq(linkChallenges.oauthState, state)).run();
  }

  function remove(guildId: string, discordId: string, kind: LinkChallengeKind): boolean {
    return db.delete(linkChallenges).where(ofMember(guildId, discordId, kind)).returning({ id: linkChallenges.id }).get() !== undefined;
  }

  /** Housekeeping across all guilds; returns how many expired challenges were removed. */
  function deleteExpired(at: EpochMs = now()): number {
    return runCounting(db, db.delete(linkChallenges).where(lte(linkChallenges.expiresAt, at)));
  }

  return { put, get, findByOAuthState, bindBrowser, recordOAuthProof, delete: remove, deleteExpired };
}
