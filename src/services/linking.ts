/**
 * Linking a Discord member to their Roblox account (design §3 `/link-roblox`, `/unlink`).
 *
 * Ownership is proven one of two ways: a one-time phrase the member puts in their profile's About
 * text (only the owner can edit it), or "Sign in with Roblox" (OAuth 2.0 with PKCE, bound to the
 * browser and confirmed on a page: roblox-sign-in.ts). Either proof
 * ends in the same `completeLink`: membership check, link row, stored rank, Discord rank role, audit.
 *
 * A little over 300 lines on purpose: both proofs, the gates they share (group, account age) and
 * `completeLink` are read together; the error type, the roles step and OAuth live in their own files.
 */
import type { Repositories } from "./storage-port.ts";
import type { GuildDirectory } from "./discord-port.ts";
import type { MemberRolesWriter } from "./member-role-editor.ts";
import type { Logger } from "../observability/logger.ts";
import { checkProfileForPhrase, generateLinkPhrase, type RandomSource } from "../ranks/link-phrase.ts";
import type { AuditTrail } from "./audit-trail.ts";
import { RobloxSignIn, type OAuthStart, type RobloxOAuthSettings } from "./roblox-sign-in.ts";
import type { GuildContexts } from "./guild-context.ts";
import { AccountAgeGate } from "./account-age-gate.ts";
import { noticeLongWaits, type WaitListener } from "./rate-limit-wait.ts";
import type { GroupMembershipsPort } from "../sync/group-memberships.ts";
import { LinkRoles, roleOutcome } from "./link-roles.ts";
import { LinkRecorder, linkSnapshot, tryAgainLaterOnTransientFailure } from "./link-recorder.ts";
import type { LinkCompleted, OAuthPendingLink, PhraseChallenge, UnlinkCompleted } from "./linking-types.ts";

/** How long a phrase or an OAuth sign-in stays valid. */
export const LINK_CHALLENGE_TTL_MS = 15 * 60_000;

/** Roblox's own rule for usernames; anything else cannot name an account, so Roblox is not asked. */
const ROBLOX_USERNAME = /^[A-Za-z0-9_]{3,20}$/;

/**
 * Expired challenges are purged only after this long, so a late confirm can still be told "expired"
 * rather than "nothing in progress".
 */
const EXPIRED_CHALLENGE_RETENTION_MS = 24 * 60 * 60_000;


export const robloxProfileUrl = (userId: RobloxUserId) => `https://www.roblox.com/users/${userId}/profile`;
export const robloxGroupUrl = (groupId: number) => `https://www.roblox.com/communities/${groupId}`;

import { LinkingError, NotInGroupError } from "./linking-errors.ts";
import type { RobloxUserId } from "./roblox-port.ts";
export { LinkingError, NotInGroupError, type LinkingErrorReason } from "./linking-errors.ts";


export * from "./linking-types.ts";
export type { OAuthStart, RobloxOAuthSettings } from "./roblox-sign-in.ts";

export interface LinkingServiceOptions {
  repositories: Pick<Repositories, "members" | "linkChallenges">;
  contexts: Pick<GuildContexts, "resolve">;
  guilds: GuildDirectory & MemberRolesWriter;
  audit: Pick<AuditTrail, "record">;
  logger: Logger;
  /** Enables "Sign in with Roblox"; absent when ROBLOX_OAUTH_* / PUBLIC_URL are not set. */
  oauth?: RobloxOAuthSettings;
  /** Tests move time forward; production uses Date.now. */
  now?: () => number;
  /** For the phrase; a cryptographic source by default, since the phrase is a secret until used. */
  random?: RandomSource;
  challengeTtlMs?: number;
  /** Other groups' memberships for range binds (src/sync/group-memberships.ts). */
  groupMemberships?: GroupMembershipsPort;
}

const cryptoRandom: RandomSource = () => crypto.getRandomValues(new Uint32Array(1))[0]! / 2 ** 32;

export class LinkingService {
  readonly #repositories: LinkingServiceOptions["repositories"];
  readonly #contexts: LinkingServiceOptions["contexts"];
  readonly #guilds: LinkingServiceOptions["guilds"];
  readonly #audit: LinkingServiceOptions["audit"];
  readonly #logger: Logger;
  readonly #signIn: RobloxSignIn | undefined;
  readonly #now: () => number;
  readonly #random: RandomSource;
  readonly #ttlMs: number;
  readonly #roles: LinkRoles;
  readonly #recorder: LinkRecorder;
  readonly #ageGate: AccountAgeGate;

  constructor(options: LinkingServiceOptions) {
    this.#repositories = options.repositories;
    this.#contexts = options.contexts;
    this.#guilds = options.guilds;
    this.#audit = options.audit;
    this.#logger = options.logger.child({ component: "linking" });
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? cryptoRandom;
    this.#ttlMs = options.challengeTtlMs ?? LINK_CHALLENGE_TTL_MS;
    this.#ageGate = new AccountAgeGate(options.audit, this.#now);
    this.#roles = new LinkRoles({
      guilds: options.guilds,
      contexts: options.contexts,
      logger: this.#logger,
      ...(options.groupMemberships && { groupMemberships: options.groupMemberships }),
    });
    this.#recorder = new LinkRecorder({
      repositories: options.repositories,
      audit: options.audit,
      logger: this.#logger,
      roles: this.#roles,
      now: this.#now,
    });
    this.#signIn =
      options.oauth &&
      new RobloxSignIn({
        settings: options.oauth,
        challenges: options.repositories.linkChallenges,
        logger: this.#logger,
        now: this.#now,
        ttlMs: this.#ttlMs,
      });
  }

  get oauthAvailable(): boolean {
    return this.#signIn !== undefined;
  }

  /** The redirect URI registered with Roblox for the OAuth app. */
  get oauthRedirectUri(): string | undefined {
    return this.#signIn?.redirectUri;
  }

  // ---- phrase in the profile ----------------------------------------------------------------

  /**
   * Checks the account exists and is in the group, then hands out a one-time phrase for its About.
   * @throws LinkingError (invalid-username, unknown-username, not-in-group, roblox-unavailable), typed Roblox errors
   */
  async start(guildId: string, discordId: string, username: string, options: { onWait?: WaitListener } = {}): Promise<PhraseChallenge> {
    const name = validUsername(username);
    const context = await this.#contexts.resolve(guildId);
    // Two reads, each shared with other members' lookups of the same moment (batched requests).
    const waitMs = () => context.roblox.lookupWaitMs("username") + context.roblox.lookupWaitMs("membership");
    const { user, membership } = await noticeLongWaits(waitMs, options.onWait, async () => {
      const found = await tryAgainLaterOnTransientFailure(() => context.roblox.usersByUsernames([name]));
      const user = found.get(name.toLowerCase());
      if (!user) {
        throw new LinkingError("unknown-username", { robloxUsername: name });
      }
      // With an age gate the profile is read now too, so a young account learns its date before editing its About.
      const [membership] = await Promise.all([this.#recorder.membership(context, user.id), this.#ageGate.requireReading(context, discordId, user)]);
      return { user, membership };
    });
    if (!membership) throw new NotInGroupError(context.groupId, user.name);

    const phrase = generateLinkPhrase(this.#random);
    const now = this.#now();
    await this.#repositories.linkChallenges.deleteExpired(now - EXPIRED_CHALLENGE_RETENTION_MS);
    const challenge = await this.#repositories.linkChallenges.put(guildId, discordId, {
      kind: "phrase",
      robloxUserId: user.id,
      robloxUsername: user.name,
      phrase: phrase.text,
      expiresAt: now + this.#ttlMs,
    });
    const holder = await this.#repositories.members.findByRobloxUserId(guildId, user.id);
    return {
      robloxUserId: user.id,
      robloxUsername: user.name,
      robloxDisplayName: user.displayName,
      phrase: phrase.text,
      profileUrl: robloxProfileUrl(user.id),
      expiresAt: challenge.expiresAt,
      linkedToAnotherMember: holder !== undefined && holder.discordId !== discordId,
      alreadyLinkedToYou: holder?.discordId === discordId,
    };
  }

  /**
   * Looks for the phrase in the account's About and, when it is there, links.
   * @throws LinkingError (no-challenge, challenge-expired, phrase-missing, phrase-filtered, not-in-group, roblox-unavailable), typed Roblox errors
   */
  async confirm(
    guildId: string,
    discordId: string,
    options: {
      onWait?: WaitListener;
      /** The member's Discord roles as the interaction carried them: saves reading the member again. */
      memberRoleIds?: readonly string[];
    } = {},
  ): Promise<LinkCompleted> {
    const now = this.#now();
    const challenge = await this.#repositories.linkChallenges.get(guildId, discordId, "phrase", now);
    if (!challenge || challenge.robloxUserId === null || challenge.phrase === null) {
      // Read again ignoring expiry, only to say which of the two it is.
      const stale = await this.#repositories.linkChallenges.get(guildId, discordId, "phrase", 0);
      throw stale
        ? new LinkingError("challenge-expired")
        : new LinkingError("no-challenge");
    }
    const context = await this.#contexts.resolve(guildId);
    const robloxUserId = challenge.robloxUserId;
    // The About text is the one read that has no batch form; the membership read beside it shares
    // a batch with other confirms. Both at once: the user id is known from the challenge.
    const waitMs = () => Math.max(context.roblox.lookupWaitMs("profile"), context.roblox.lookupWaitMs("membership"));
    const [profile, membership] = await noticeLongWaits(waitMs, options.onWait, () =>
      Promise.all([
        tryAgainLaterOnTransientFailure(() => context.roblox.getUserProfile(robloxUserId)),
        this.#recorder.membership(context, robloxUserId),
      ]),
    );
    // Checked again at the link itself: the gate may have been set since /link-roblox.
    await this.#ageGate.require(context, discordId, profile, profile.createdMs);
    const check = checkProfileForPhrase(profile.about, challenge.phrase);
    if (check.status !== "found") {
      const holder = await this.#repositories.members.findByRobloxUserId(guildId, challenge.robloxUserId);
      throw new LinkingError(check.status === "filtered" ? "phrase-filtered" : "phrase-missing", {
        linkedToAnother: holder !== undefined && holder.discordId !== discordId,
      });
    }
    const result = await this.#recorder.complete(
      context,
      discordId,
      { robloxUserId: profile.id, robloxUsername: profile.name, robloxDisplayName: profile.displayName, method: "profile-phrase" },
      { membership, memberRoleIds: options.memberRoleIds },
    );
    await this.#repositories.linkChallenges.delete(guildId, discordId, "phrase");
    return result;
  }

  // ---- Sign in with Roblox ------------------------------------------------------------------

  /**
   * A "Sign in with Roblox" for this member: the URL of the bot's own start page (design §10).
   * @throws LinkingError (oauth-not-configured)
   */
  async startOAuth(guildId: string, discordId: string): Promise<OAuthStart> {
    await this.#repositories.linkChallenges.deleteExpired(this.#now() - EXPIRED_CHALLENGE_RETENTION_MS);
    return await this.#requireOAuth().start(guildId, discordId);
  }

  /** `GET /oauth/start`: binds the sign-in to this browser; see RobloxSignIn.begin. */
  async beginOAuth(state: string | undefined, browserNonce: string | undefined): Promise<{ authorizeUrl: string; browserNonce: string }> {
    return await this.#requireOAuth().begin(state, browserNonce);
  }

  /**
   * The OAuth callback: learns who signed in and what the confirmation page must name. Links nothing.
   * @throws LinkingError (see RobloxSignIn.callback), typed Roblox errors
   */
  async completeOAuth(params: { code?: string; state?: string; error?: string }, browserNonce: string | undefined): Promise<OAuthPendingLink> {
    const proof = await this.#requireOAuth().callback(params, browserNonce, async (guildId, robloxUserId) => {
      const context = await this.#contexts.resolve(guildId);
      return (await tryAgainLaterOnTransientFailure(() => context.roblox.getUserProfile(robloxUserId))).name;
    });
    // Refused before the confirmation page, so nobody is asked to confirm a link that cannot be made.
    await this.#ageGate.requireReading(await this.#contexts.resolve(proof.guildId), proof.discordId, { id: proof.robloxUserId, name: proof.robloxUsername });
    const [guild, member] = await Promise.all([this.#guilds.guild(proof.guildId), this.#guilds.member(proof.guildId, proof.discordId)]);
    return {
      ...proof,
      guildName: guild.name,
      discordUsername: member?.username ?? null,
      discordDisplayName: member?.displayName ?? null,
    };
  }

  /**
   * The confirmation POST: links the proven account to the Discord member named on the page.
   * @throws LinkingError (see RobloxSignIn.confirm, and not-in-group), typed Roblox errors
   */
  async confirmOAuth(params: { state?: string; csrfToken?: string }, browserNonce: string | undefined): Promise<LinkCompleted> {
    const proof = await this.#requireOAuth().confirm(params, browserNonce);
    const context = await this.#contexts.resolve(proof.guildId);
    // Checked again at the link itself: the gate may have been set since the sign-in.
    await this.#ageGate.requireReading(context, proof.discordId, { id: proof.robloxUserId, name: proof.robloxUsername });
    return this.#recorder.complete(context, proof.discordId, {
      robloxUserId: proof.robloxUserId,
      robloxUsername: proof.robloxUsername,
      robloxDisplayName: proof.robloxDisplayName,
      method: "oauth",
    });
  }

  // ---- unlink -------------------------------------------------------------------------------

  /**
   * Removes the member's link and their rank roles: without a link sync no longer vouches for them.
   * @throws LinkingError (not-linked)
   */
  async unlink(guildId: string, discordId: string): Promise<UnlinkCompleted> {
    const previous = await this.#repositories.members.unlink(guildId, discordId);
    if (!previous || previous.robloxUserId === null) {
      throw new LinkingError("not-linked");
    }
    const roles = await this.#roles.applyUnlinked(guildId, discordId, { kind: "unlinked" }, previous);
    await this.#audit.record(guildId, {
      actorId: discordId,
      action: "unlink",
      targetDiscordId: discordId,
      targetRobloxUserId: previous.robloxUserId,
      before: linkSnapshot(previous),
      after: null,
      outcome: roleOutcome(roles),
      note: { kind: "unlinked", discordId, robloxUser: previous.robloxUsername ?? String(previous.robloxUserId), roles },
    });
    return { robloxUserId: previous.robloxUserId, robloxUsername: previous.robloxUsername ?? String(previous.robloxUserId), roles };
  }

  #requireOAuth(): RobloxSignIn {
    if (!this.#signIn) {
      throw new LinkingError("oauth-not-configured");
    }
    return this.#signIn;
  }
}

/** Trims and checks the username before anything is sent to Roblox. */
export function validUsername(input: string): string {
  const name = input.trim();
  if (!ROBLOX_USERNAME.test(name)) {
    throw new LinkingError("invalid-username");
  }
  return name;
}
