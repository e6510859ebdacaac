/**
 * Linking a Discord member to their Roblox account (design §3 `/link-roblox`, `/unlink`).
 *
 * Ownership is proven one of two ways: a one-time phrase the member puts in their profile's About
 * text (only the owner can edit it), or "Sign in with Roblox" (OAuth 2.0 with PKCE, bound to the
 * browser and confirmed on a page: roblox-sign-in.ts). Either proof
 * ends in the same `completeLink`: membership check, link row, stored rank, Discord rank role, audit.
 */
import type { Repositories } from "../db/index.ts";
import type { Member, VerificationMethod } from "../db/schema.ts";
import type { DiscordGuilds } from "../discord/guilds.ts";
import type { Logger } from "../observability/logger.ts";
import { RoleHierarchy } from "../ranks/hierarchy.ts";
import type { Rank, RankLadder } from "../ranks/ladder.ts";
import { checkProfileForPhrase, generateLinkPhrase, type RandomSource } from "../ranks/link-phrase.ts";
import { isRobloxError } from "../roblox/errors.ts";
import type { Membership, RobloxUserId } from "../roblox/types.ts";
import type { AuditTrail } from "./audit-trail.ts";
import { RobloxSignIn, type OAuthProof, type OAuthStart, type RobloxOAuthSettings } from "./roblox-sign-in.ts";
import type { GuildContext, GuildContexts } from "./guild-context.ts";
import { noticeLongWaits, type WaitListener } from "./rate-limit-wait.ts";
import { MemberRoleEditor } from "./member-role-editor.ts";

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
export { LinkingError, NotInGroupError, type LinkingErrorReason } from "./linking-errors.ts";


/** What happened to the member's Discord rank roles. */
export type RoleUpdate =
  /** Sent in one request (or nothing needed when both lists are empty). */
  | { readonly status: "applied"; readonly added: readonly string[]; readonly removed: readonly string[] }
  /** Nothing to do or nothing possible: not in the server, rank not on the ladder. */
  | { readonly status: "skipped"; readonly reason: string }
  /** The hierarchy pre-check found roles the bot may not touch; no request was sent. */
  | { readonly status: "blocked"; readonly problems: readonly string[] }
  | { readonly status: "failed"; readonly reason: string };

export interface PhraseChallenge {
  readonly robloxUserId: RobloxUserId;
  readonly robloxUsername: string;
  readonly robloxDisplayName: string;
  /** What goes into the About text, e.g. "rankbridge: amber falcon river otter 7Q2K". */
  readonly phrase: string;
  readonly profileUrl: string;
  readonly expiresAt: number;
  /** Another Discord account of this server holds the link; the phrase is the proof that moves it. */
  readonly linkedToAnotherMember: boolean;
  readonly alreadyLinkedToYou: boolean;
}

export type { OAuthStart, RobloxOAuthSettings } from "./roblox-sign-in.ts";

/** What the confirmation page names before anything is linked: the Discord account and server receiving the link. */
export interface OAuthPendingLink extends OAuthProof {
  readonly guildName: string;
  readonly discordUsername: string | null;
  readonly discordDisplayName: string | null;
}

export interface LinkCompleted {
  readonly guildId: string;
  readonly discordId: string;
  readonly robloxUserId: RobloxUserId;
  readonly robloxUsername: string;
  readonly method: VerificationMethod;
  /** The ladder rank of the member's Roblox role, or null when the ladder has no such rank. */
  readonly rank: Rank | null;
  /** What Roblox calls the role, for when it is not on the ladder. */
  readonly robloxRoleName: string;
  readonly robloxRank: number;
  readonly roles: RoleUpdate;
  /** The Discord account the link was moved from (with proof), if any. */
  readonly tookOverFrom: string | null;
}

export interface UnlinkCompleted {
  readonly robloxUserId: RobloxUserId;
  readonly robloxUsername: string;
  readonly roles: RoleUpdate;
}

export interface LinkingServiceOptions {
  repositories: Pick<Repositories, "members" | "linkChallenges">;
  contexts: Pick<GuildContexts, "resolve">;
  guilds: Pick<DiscordGuilds, "guild" | "member" | "botStanding" | "writeMemberRoles">;
  audit: Pick<AuditTrail, "record">;
  logger: Logger;
  /** Enables "Sign in with Roblox"; absent when ROBLOX_OAUTH_* / PUBLIC_URL are not set. */
  oauth?: RobloxOAuthSettings;
  /** Tests move time forward; production uses Date.now. */
  now?: () => number;
  /** For the phrase; a cryptographic source by default, since the phrase is a secret until used. */
  random?: RandomSource;
  challengeTtlMs?: number;
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

  constructor(options: LinkingServiceOptions) {
    this.#repositories = options.repositories;
    this.#contexts = options.contexts;
    this.#guilds = options.guilds;
    this.#audit = options.audit;
    this.#logger = options.logger.child({ component: "linking" });
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? cryptoRandom;
    this.#ttlMs = options.challengeTtlMs ?? LINK_CHALLENGE_TTL_MS;
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
      return { user, membership: await this.#membership(context, user.id) };
    });
    if (!membership) throw new NotInGroupError(context.groupId, user.name);

    const phrase = generateLinkPhrase(this.#random);
    const now = this.#now();
    this.#repositories.linkChallenges.deleteExpired(now - EXPIRED_CHALLENGE_RETENTION_MS);
    const challenge = this.#repositories.linkChallenges.put(guildId, discordId, {
      kind: "phrase",
      robloxUserId: user.id,
      robloxUsername: user.name,
      phrase: phrase.text,
      expiresAt: now + this.#ttlMs,
    });
    const holder = this.#repositories.members.findByRobloxUserId(guildId, user.id);
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
    const challenge = this.#repositories.linkChallenges.get(guildId, discordId, "phrase", now);
    if (!challenge || challenge.robloxUserId === null || challenge.phrase === null) {
      // Read again ignoring expiry, only to say which of the two it is.
      const stale = this.#repositories.linkChallenges.get(guildId, discordId, "phrase", 0);
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
        this.#membership(context, robloxUserId),
      ]),
    );
    const check = checkProfileForPhrase(profile.about, challenge.phrase);
    if (check.status !== "found") {
      const holder = this.#repositories.members.findByRobloxUserId(guildId, challenge.robloxUserId);
      throw new LinkingError(check.status === "filtered" ? "phrase-filtered" : "phrase-missing", {
        phraseHint: check.message,
        linkedToAnother: holder !== undefined && holder.discordId !== discordId,
      });
    }
    const result = await this.#completeLink(
      context,
      discordId,
      { robloxUserId: profile.id, robloxUsername: profile.name, method: "profile-phrase" },
      { membership, memberRoleIds: options.memberRoleIds },
    );
    this.#repositories.linkChallenges.delete(guildId, discordId, "phrase");
    return result;
  }

  // ---- Sign in with Roblox ------------------------------------------------------------------

  /**
   * A "Sign in with Roblox" for this member: the URL of the bot's own start page (design §10).
   * @throws LinkingError (oauth-not-configured)
   */
  startOAuth(guildId: string, discordId: string): OAuthStart {
    this.#repositories.linkChallenges.deleteExpired(this.#now() - EXPIRED_CHALLENGE_RETENTION_MS);
    return this.#requireOAuth().start(guildId, discordId);
  }

  /** `GET /oauth/start`: binds the sign-in to this browser; see RobloxSignIn.begin. */
  beginOAuth(state: string | undefined, browserNonce: string | undefined): { authorizeUrl: string; browserNonce: string } {
    return this.#requireOAuth().begin(state, browserNonce);
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
    const proof = this.#requireOAuth().confirm(params, browserNonce);
    const context = await this.#contexts.resolve(proof.guildId);
    return this.#completeLink(context, proof.discordId, { robloxUserId: proof.robloxUserId, robloxUsername: proof.robloxUsername, method: "oauth" });
  }

  // ---- unlink -------------------------------------------------------------------------------

  /**
   * Removes the member's link and their rank roles: without a link sync no longer vouches for them.
   * @throws LinkingError (not-linked)
   */
  async unlink(guildId: string, discordId: string): Promise<UnlinkCompleted> {
    const previous = this.#repositories.members.unlink(guildId, discordId);
    if (!previous || previous.robloxUserId === null) {
      throw new LinkingError("not-linked");
    }
    const roles = await this.#removeRankRoles(guildId, discordId, "unlinked from Roblox");
    this.#audit.record(guildId, {
      actorId: discordId,
      action: "unlink",
      targetDiscordId: discordId,
      targetRobloxUserId: previous.robloxUserId,
      before: linkSnapshot(previous),
      after: null,
      outcome: roleOutcome(roles),
      detail: describeRoles(roles),
      summary: `<@${discordId}> unlinked from Roblox ${previous.robloxUsername ?? previous.robloxUserId}`,
    });
    return { robloxUserId: previous.robloxUserId, robloxUsername: previous.robloxUsername ?? String(previous.robloxUserId), roles };
  }

  // ---- the shared end of both proofs --------------------------------------------------------

  async #completeLink(
    context: GuildContext,
    discordId: string,
    proven: { robloxUserId: RobloxUserId; robloxUsername: string; method: VerificationMethod },
    /** Read already: the membership (beside the proof) and the member's Discord roles (from the interaction). */
    known: { membership?: Membership | null; memberRoleIds?: readonly string[] } = {},
  ): Promise<LinkCompleted> {
    const { guildId } = context;
    const membership = known.membership === undefined ? await this.#membership(context, proven.robloxUserId) : known.membership;
    if (!membership) throw new NotInGroupError(context.groupId, proven.robloxUsername);

    const members = this.#repositories.members;
    const input = { robloxUserId: proven.robloxUserId, robloxUsername: proven.robloxUsername, verifiedBy: proven.method, verifiedAt: this.#now() };
    let linked = members.link(guildId, discordId, input);
    let tookOverFrom: Member | undefined;
    if (!linked.ok) {
      // Both ways of getting here carry proof of ownership, so the link moves to the prover.
      tookOverFrom = members.unlink(guildId, linked.linkedTo);
      linked = members.link(guildId, discordId, input);
      if (!linked.ok) {
        throw new LinkingError("account-taken");
      }
    }

    const rank = context.ladder.byRobloxRoleId(membership.roleId) ?? null;
    members.setStoredRank(guildId, discordId, rank?.id ?? null);
    const roles = await this.#setRankRole(guildId, discordId, rank, context.ladder, `linked to Roblox ${proven.robloxUsername}`, known.memberRoleIds);

    if (tookOverFrom) await this.#recordTakeover(guildId, discordId, tookOverFrom, proven);
    this.#audit.record(guildId, {
      actorId: discordId,
      action: "link",
      targetDiscordId: discordId,
      targetRobloxUserId: proven.robloxUserId,
      before: linked.previous?.robloxUserId != null ? linkSnapshot(linked.previous) : null,
      after: { ...linkSnapshot(linked.member), rankId: rank?.id ?? null },
      outcome: roleOutcome(roles),
      detail: [
        `verified by ${proven.method}`,
        `Roblox role ${membership.roleName} (rank ${membership.rank})`,
        tookOverFrom ? `moved from <@${tookOverFrom.discordId}>` : undefined,
        describeRoles(roles),
      ]
        .filter(Boolean)
        .join("; "),
      summary: `<@${discordId}> linked to Roblox ${proven.robloxUsername}`,
    });
    this.#logger.info(
      { guildId, discordId, robloxUserId: proven.robloxUserId, method: proven.method, rankId: rank?.id ?? null, roles: roles.status },
      "member linked",
    );
    return {
      guildId,
      discordId,
      robloxUserId: proven.robloxUserId,
      robloxUsername: proven.robloxUsername,
      method: proven.method,
      rank,
      robloxRoleName: membership.roleName,
      robloxRank: membership.rank,
      roles,
      tookOverFrom: tookOverFrom?.discordId ?? null,
    };
  }

  /** The previous holder loses the link and, like on /unlink, the rank roles it justified. */
  async #recordTakeover(
    guildId: string,
    newDiscordId: string,
    previous: Member,
    proven: { robloxUsername: string; method: VerificationMethod },
  ): Promise<void> {
    const roles = await this.#removeRankRoles(guildId, previous.discordId, `Roblox ${proven.robloxUsername} was linked to another account`);
    this.#audit.record(guildId, {
      actorId: newDiscordId,
      action: "unlink",
      targetDiscordId: previous.discordId,
      targetRobloxUserId: previous.robloxUserId,
      before: linkSnapshot(previous),
      after: null,
      reason: `<@${newDiscordId}> proved ownership of Roblox ${proven.robloxUsername} (${proven.method})`,
      outcome: roleOutcome(roles),
      detail: describeRoles(roles),
      summary: `Roblox ${proven.robloxUsername} moved from <@${previous.discordId}> to <@${newDiscordId}>`,
    });
  }

  /** One request: the rank's role added, every other ladder role removed; the hierarchy checked first. */
  async #setRankRole(
    guildId: string,
    discordId: string,
    rank: Rank | null,
    ladder: RankLadder,
    reason: string,
    knownRoleIds?: readonly string[],
  ): Promise<RoleUpdate> {
    if (!rank) return { status: "skipped", reason: "the member's Roblox role isn't on this server's rank ladder" };
    const bound = ladder.boundDiscordRoleIds();
    const plan = (held: string[]) => ({
      add: rank.discordRoleId !== null && !held.includes(rank.discordRoleId) ? [rank.discordRoleId] : [],
      remove: held.filter((id) => bound.has(id) && id !== rank.discordRoleId),
    });
    return this.#changeRoles(guildId, discordId, reason, plan, knownRoleIds);
  }

  async #removeRankRoles(guildId: string, discordId: string, reason: string): Promise<RoleUpdate> {
    let bound: ReadonlySet<string>;
    try {
      bound = (await this.#contexts.resolve(guildId)).ladder.boundDiscordRoleIds();
    } catch (error) {
      // No group configured any more: there is no ladder, so no rank role to take.
      this.#logger.debug({ err: error, guildId }, "no ladder to remove rank roles by");
      return { status: "skipped", reason: "no rank ladder" };
    }
    return this.#changeRoles(guildId, discordId, reason, (held) => ({ add: [], remove: held.filter((id) => bound.has(id)) }));
  }

  async #changeRoles(
    guildId: string,
    discordId: string,
    reason: string,
    plan: (held: string[]) => { add: string[]; remove: string[] },
    knownRoleIds?: readonly string[],
  ): Promise<RoleUpdate> {
    try {
      const member = knownRoleIds ? { roleIds: [...knownRoleIds] } : await this.#guilds.member(guildId, discordId);
      if (!member) return { status: "skipped", reason: "not a member of this server" };
      const { add, remove } = plan(member.roleIds);
      if (add.length === 0 && remove.length === 0) return { status: "applied", added: [], removed: [] };
      const editor = new MemberRoleEditor({
        writer: this.#guilds,
        hierarchy: new RoleHierarchy(await this.#guilds.botStanding(guildId)),
        auditReason: `rankbridge: ${reason}`,
      });
      const edited = await editor.edit(guildId, { discordId, addRoleIds: add, removeRoleIds: remove }, member.roleIds);
      switch (edited.kind) {
        case "updated":
          return { status: "applied", added: edited.added, removed: edited.removed };
        case "already-applied":
          return { status: "applied", added: [], removed: [] };
        case "not-attempted":
          return { status: "blocked", problems: edited.problems.map((problem) => problem.message) };
        default:
          this.#logger.warn({ err: edited.error, guildId, discordId }, "could not update rank roles");
          return { status: "failed", reason: "Discord refused the role change" };
      }
    } catch (error) {
      this.#logger.warn({ err: error, guildId, discordId }, "could not update rank roles");
      return { status: "failed", reason: "Discord refused the role change" };
    }
  }

  async #membership(context: GuildContext, robloxUserId: RobloxUserId): Promise<Membership | null> {
    return tryAgainLaterOnTransientFailure(() => context.roblox.getMembership(context.groupId, robloxUserId));
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

/**
 * Failures that may pass (outage, rate limit, network) become one "try again later" message; the
 * others keep their own typed error.
 */
async function tryAgainLaterOnTransientFailure<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isRobloxError(error) && error.retryable) {
      throw new LinkingError("roblox-unavailable", { step: "lookup", causeMessage: error.userMessage }, { cause: error });
    }
    throw error;
  }
}

function linkSnapshot(member: Member) {
  return { robloxUserId: member.robloxUserId, robloxUsername: member.robloxUsername, verifiedBy: member.verifiedBy };
}

function roleOutcome(roles: RoleUpdate): "ok" | "partial" {
  return roles.status === "blocked" || roles.status === "failed" ? "partial" : "ok";
}

function describeRoles(roles: RoleUpdate): string {
  switch (roles.status) {
    case "applied":
      return roles.added.length + roles.removed.length === 0
        ? "Discord roles already right"
        : `Discord roles: ${[...roles.added.map((id) => `+<@&${id}>`), ...roles.removed.map((id) => `-<@&${id}>`)].join(" ")}`;
    case "skipped":
      return `Discord roles untouched: ${roles.reason}`;
    case "blocked":
      return `Discord roles not changed: ${roles.problems.join(" ")}`;
    case "failed":
      return `Discord roles not changed: ${roles.reason}`;
  }
}
