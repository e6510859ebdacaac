import type { Logger } from "../observability/logger.ts";
import type { Metrics } from "../observability/metrics.ts";
import {
  RobloxCannotChangeOwnerRankError,
  RobloxNoCredentialsError,
  RobloxNotInGroupError,
  RobloxRoleNotAssignableError,
  RobloxRoleNotFoundError,
  RobloxSameRoleError,
} from "./errors.ts";
import { type AuditLogQuery, AuditLogApi } from "./audit-log.ts";
import type { AuditLogPage } from "./audit-log-schema.ts";
import { RobloxBatchLoaders } from "./batching.ts";
import { LegacyApi, USERNAMES_BATCH_SIZE } from "./legacy.ts";
import { API_CLASSES, RobloxRateLimits, type ApiClass, type RateLimitOptions } from "./limits.ts";
import { OpenCloudApi } from "./open-cloud.ts";
import { planRankLookup, type RankLookupPlan } from "./planner.ts";
import { MEMBERSHIP_BATCH_SIZE, type RobloxReadApi } from "./read-api.ts";
import { RobloxMalformedAnswerError } from "./schemas.ts";
import { RobloxTransport, type RequestTally, type RetryOptions } from "./transport.ts";
import type {
  GroupInfo,
  GroupMember,
  GroupRole,
  MemberRank,
  Membership,
  RobloxAuthKind,
  RobloxUser,
  RobloxUserId,
  RobloxUserProfile,
  RosterPage,
  SetRankResult,
} from "./types.ts";
import { RobloxUrls } from "./urls.ts";

/** The highest rank, held only by the group's owner; rank 0 is Guest (non-members). */
const OWNER_RANK = 255;
/** One username request every 1.5 s at most while lookups keep coming (batching.ts explains why). */
const USERNAMES_MIN_INTERVAL_MS = 1_500;
const GUEST_RANK = 0;

export interface RobloxClientOptions {
  /** Open Cloud API key (`ROBLOX_API_KEY`); preferred for everything. */
  apiKey?: string;
  /** Legacy `.ROBLOSECURITY` cookie (`ROBLOX_COOKIE`); used only when there is no API key. */
  cookie?: string;
  /** `ROBLOX_API_URL`: `https://{service}.roblox.com` by default. */
  urlTemplate?: string;
  /** Per attempt, in ms (default 10 s). */
  timeoutMs?: number;
  retry?: RetryOptions;
  rateLimits?: RateLimitOptions;
  /**
   * How Open Cloud rank writes are sent: `assign-role` (`:assignRole` the target, then
   * `:unassignRole` the member's other non-base roles) or the deprecated single-role `patch`.
   */
  openCloudRankWrite?: "assign-role" | "patch";
  /** How long a group's role list is reused for rank lookups (default 60 s). */
  rolesCacheTtlMs?: number;
  /** Membership batches read side by side by `readLinkedRanks` (default 4). */
  batchConcurrency?: number;
  metrics?: Metrics;
  logger?: Logger;
  /**
   * Told of every rank write this client sent (before it returns), so the change feed can tell
   * the audit-log entries of our own writes from changes made by people on Roblox.
   */
  onRankWritten?: (write: RankWritten) => void;
}

/** A rank write this client sent: the member now holds `roleId` (and no other non-base role). */
export interface RankWritten {
  groupId: number;
  userId: RobloxUserId;
  roleId: number;
  previousRoleId: number;
  /** Epoch ms when the write was about to be sent. */
  at: number;
}

export interface LinkedRanks {
  /** Linked users found in the group (for `bound-roles`: found in one of the bound roles). */
  ranks: Map<RobloxUserId, MemberRank>;
  /** HTTP requests sent, retries and the planning reads included. */
  requests: number;
  plan: RankLookupPlan;
}

/**
 * The Roblox client every feature reads groups, users and ranks and writes ranks through; one per
 * set of credentials (rate limits are counted per API key owner). Picks the API family from the
 * credentials it is given (Open Cloud with a key, legacy with a cookie or anonymously) and hides
 * the difference.
 */
export class RobloxClient {
  readonly auth: RobloxAuthKind;
  private readonly limits: RobloxRateLimits;
  private readonly legacy: LegacyApi;
  private readonly openCloud: OpenCloudApi | undefined;
  private readonly auditLog: AuditLogApi | undefined;
  private readonly reads: RobloxReadApi;
  private readonly rankWrite: "assign-role" | "patch";
  private readonly rolesCacheTtlMs: number;
  private readonly batchConcurrency: number;
  private readonly rolesCache = new Map<number, { roles: GroupRole[]; fetchedAt: number }>();
  /** Single lookups of concurrent commands, sent as batch requests (batching.ts). */
  private readonly batches: RobloxBatchLoaders;
  private readonly onRankWritten: ((write: RankWritten) => void) | undefined;

  constructor(options: RobloxClientOptions = {}) {
    this.onRankWritten = options.onRankWritten;
    this.auth = options.apiKey ? "api-key" : options.cookie ? "cookie" : "none";
    this.limits = new RobloxRateLimits(options.rateLimits);
    const transport = new RobloxTransport({
      urls: new RobloxUrls(options.urlTemplate),
      credentials: { apiKey: options.apiKey, cookie: options.apiKey ? undefined : options.cookie },
      limits: this.limits,
      timeoutMs: options.timeoutMs,
      retry: options.retry,
      metrics: options.metrics,
      logger: options.logger,
    });
    this.legacy = new LegacyApi(transport, this.auth === "cookie" ? "cookie" : "none");
    this.openCloud = this.auth === "api-key" ? new OpenCloudApi(transport) : undefined;
    this.auditLog = this.auth === "api-key" ? new AuditLogApi(transport) : undefined;
    this.reads = this.openCloud ?? this.legacy;
    this.rankWrite = options.openCloudRankWrite ?? "assign-role";
    this.rolesCacheTtlMs = options.rolesCacheTtlMs ?? 60_000;
    this.batchConcurrency = options.batchConcurrency ?? 4;
    this.batches = new RobloxBatchLoaders(
      {
        usersByUsernames: (names) => this.legacy.usersByUsernames(names),
        membersAmong: (groupId, userIds) => this.reads.membersAmong(groupId, userIds),
      },
      { usernamesPerRequest: USERNAMES_BATCH_SIZE, membershipsPerRequest: MEMBERSHIP_BATCH_SIZE, usernamesMinIntervalMs: USERNAMES_MIN_INTERVAL_MS },
    );
  }

  getGroup(groupId: number, tally?: RequestTally): Promise<GroupInfo> {
    return this.reads.getGroup(groupId, tally);
  }

  /** Every role of the group, lowest rank first (Guest included). Always asks Roblox. */
  async listRoles(groupId: number, tally?: RequestTally): Promise<GroupRole[]> {
    const roles = await this.reads.listRoles(groupId, tally);
    this.rolesCache.set(groupId, { roles, fetchedAt: Date.now() });
    return roles;
  }

  /**
   * The user's membership and rank in the group; null when the user is not a member. On Open Cloud
   * concurrent calls share `groups/-/memberships` requests (50 users each); the legacy hosts have no
   * batch form, so there it is one request (whose tally is then counted).
   */
  async getMembership(groupId: number, userId: RobloxUserId, tally?: RequestTally): Promise<Membership | null> {
    const member =
      this.reads.family === "open-cloud" ? await this.batches.membership(groupId, userId) : await this.reads.getMember(groupId, userId, tally);
    if (!member) return null;
    const roles = await this.rolesCovering(groupId, member.roleIds, tally);
    const highest = highestRole(member, roles);
    return { ...member, roleId: highest.id, rank: highest.rank, roleName: highest.name };
  }

  /**
   * Resolves usernames (current or previous) to users, 100 names a request, shared with every
   * other lookup made at the same time through this client. The map is keyed by the requested name
   * in lower case; names that match no user are absent.
   */
  async usersByUsernames(usernames: string[]): Promise<Map<string, RobloxUser>> {
    // Usernames are case-insensitive: ask once per name.
    const unique = [...new Set(usernames.map((name) => name.trim().toLowerCase()).filter(Boolean))];
    const users = await Promise.all(unique.map((name) => this.batches.userByUsername(name)));
    const found = new Map<string, RobloxUser>();
    unique.forEach((name, index) => {
      const user = users[index];
      if (user) found.set(name, user);
    });
    return found;
  }

  /** Name and About text: Open Cloud `about` with a key, legacy `description` otherwise. */
  getUserProfile(userId: RobloxUserId, tally?: RequestTally): Promise<RobloxUserProfile> {
    return this.reads.getUserProfile(userId, tally);
  }

  /** The group's members, 100 a page; pass a page's `nextPageToken` back as `pageToken` to resume after it. */
  async *roster(groupId: number, options: { pageToken?: string | null; tally?: RequestTally } = {}): AsyncGenerator<RosterPage> {
    yield* this.pages((token) => this.reads.rosterPage(groupId, token, options.tally), options.pageToken ?? null);
  }

  /** The members holding one role, 100 a page, resumable like `roster`. */
  async *roleMembers(
    groupId: number,
    roleId: number,
    options: { pageToken?: string | null; tally?: RequestTally } = {},
  ): AsyncGenerator<RosterPage> {
    yield* this.pages((token) => this.reads.roleMembersPage(groupId, roleId, token, options.tally), options.pageToken ?? null);
  }

  /** The group memberships of many users, read 50 users at a time; yields each batch's members. */
  async *membershipBatches(
    groupId: number,
    userIds: RobloxUserId[],
    options: { tally?: RequestTally } = {},
  ): AsyncGenerator<GroupMember[]> {
    for (const batch of chunks([...new Set(userIds)], MEMBERSHIP_BATCH_SIZE)) {
      yield await this.reads.membersAmong(groupId, batch, options.tally);
    }
  }

  /** All of `membershipBatches` at once, several batches in flight (the limiter still paces them). */
  async membershipsOf(groupId: number, userIds: RobloxUserId[], tally?: RequestTally): Promise<Map<RobloxUserId, GroupMember>> {
    const batches = chunks([...new Set(userIds)], MEMBERSHIP_BATCH_SIZE);
    const results = await mapConcurrently(batches, this.batchConcurrency, (batch) =>
      this.reads.membersAmong(groupId, batch, tally),
    );
    return new Map(results.flat().map((member) => [member.userId, member]));
  }

  /**
   * Puts the member in exactly `roleId`. Sends nothing and returns `{changed:false}` when the member
   * already holds it (and, on Open Cloud, no other non-base role).
   */
  async setRank(groupId: number, userId: RobloxUserId, roleId: number, tally?: RequestTally): Promise<SetRankResult> {
    if (this.auth === "none") {
      throw new RobloxNoCredentialsError("no ROBLOX_API_KEY or ROBLOX_COOKIE configured: cannot write ranks");
    }
    const target = await this.findRole(groupId, roleId, tally);
    if (target.rank === GUEST_RANK || target.rank === OWNER_RANK) {
      throw new RobloxRoleNotAssignableError(`role ${roleId} (${target.name}) is Guest or Owner`);
    }
    const member = await this.reads.getMember(groupId, userId, tally);
    if (!member) throw new RobloxNotInGroupError(`user ${userId} is not in group ${groupId}`);
    const roles = await this.rolesCovering(groupId, member.roleIds, tally);
    const previous = highestRole(member, roles);
    if (previous.rank === OWNER_RANK) {
      throw new RobloxCannotChangeOwnerRankError(`user ${userId} owns group ${groupId}`);
    }
    const unchanged = { changed: false, previousRoleId: previous.id, roleId };
    const changed = { changed: true, previousRoleId: previous.id, roleId };
    // Announced before the requests: their audit entries may be read while the last one is in flight.
    const announce = () => this.onRankWritten?.({ groupId, userId, roleId, previousRoleId: previous.id, at: Date.now() });

    if (!this.openCloud) {
      if (previous.id === roleId) return unchanged;
      announce();
      try {
        await this.legacy.setRole(groupId, userId, roleId, tally);
      } catch (error) {
        // Someone else set it between our read and our write.
        if (error instanceof RobloxSameRoleError) return unchanged;
        throw error;
      }
      return changed;
    }

    const baseIds = new Set(roles.filter((role) => role.isBase).map((role) => role.id));
    const extraRoles = member.roleIds.filter((id) => !baseIds.has(id));
    const wanted = target.isBase ? [] : [target.id];
    if (extraRoles.length === wanted.length && extraRoles.every((id) => wanted.includes(id))) return unchanged;

    announce();
    if (this.rankWrite === "patch") {
      await this.openCloud.patchRole(groupId, userId, roleId, tally);
      return changed;
    }
    // Assign first so the member never drops to the base role in between.
    if (!target.isBase && !member.roleIds.includes(target.id)) {
      await this.openCloud.assignRole(groupId, userId, target.id, tally);
    }
    for (const id of extraRoles) {
      if (id !== target.id) await this.openCloud.unassignRole(groupId, userId, id, tally);
    }
    return changed;
  }

  /**
   * Plans the cheapest way to learn linked members' ranks (reads the group's member count and the
   * bound roles' member counts: two requests, or one when the roles are cached).
   */
  async planLinkedRankLookup(
    groupId: number,
    linkedCount: number,
    boundRoleIds: number[] = [],
    tally?: RequestTally,
  ): Promise<RankLookupPlan> {
    const group = await this.getGroup(groupId, tally);
    const roles = boundRoleIds.length > 0 ? await this.rolesFor(groupId, tally) : [];
    const bound = new Set(boundRoleIds);
    return planRankLookup({
      memberCount: group.memberCount,
      linkedCount,
      boundRoles:
        boundRoleIds.length > 0
          ? roles.filter((role) => bound.has(role.id)).map((role) => ({ roleId: role.id, memberCount: role.memberCount }))
          : undefined,
      family: this.reads.family,
      perMinute: this.membershipReadsPerMinute(),
    });
  }

  /** Runs a rank-lookup plan (planning first when none is given) for the linked users. */
  async readLinkedRanks(
    groupId: number,
    linkedUserIds: RobloxUserId[],
    options: { boundRoleIds?: number[]; plan?: RankLookupPlan } = {},
  ): Promise<LinkedRanks> {
    const tally: RequestTally = { requests: 0 };
    const linked = new Set(linkedUserIds);
    const plan = options.plan ?? (await this.planLinkedRankLookup(groupId, linked.size, options.boundRoleIds, tally));
    const members: GroupMember[] = [];

    if (plan.strategy === "linked-users") {
      members.push(...(await this.membershipsOf(groupId, [...linked], tally)).values());
    } else if (plan.strategy === "roster") {
      for await (const page of this.roster(groupId, { tally })) {
        members.push(...page.members.filter((member) => linked.has(member.userId)));
      }
    } else {
      const perRole = await mapConcurrently(plan.boundRoleIds, this.batchConcurrency, async (roleId) => {
        const found: GroupMember[] = [];
        for await (const page of this.roleMembers(groupId, roleId, { tally })) {
          found.push(...page.members.filter((member) => linked.has(member.userId)));
        }
        return found;
      });
      members.push(...perRole.flat());
    }

    const ranks = new Map<RobloxUserId, MemberRank>();
    if (members.length === 0) return { ranks, requests: tally.requests, plan };
    const roles = await this.rolesCovering(groupId, members.flatMap((member) => member.roleIds), tally);
    for (const member of members) {
      const role = highestRole(member, roles);
      const known = ranks.get(member.userId);
      // A member of several bound roles shows up once per role: keep the highest.
      if (!known || role.rank > known.rank) ranks.set(member.userId, { roleId: role.id, rank: role.rank });
    }
    return { ranks, requests: tally.requests, plan };
  }

  /** The cookie's account (cookie auth only). */
  async authenticatedUser(tally?: RequestTally): Promise<RobloxUser> {
    if (this.auth !== "cookie") throw new RobloxNoCredentialsError("no ROBLOX_COOKIE configured");
    return this.legacy.authenticatedUser(tally);
  }

  /** The cookie account's role and whether it may change ranks in the group (cookie auth only). */
  async ownMembership(groupId: number, tally?: RequestTally): Promise<{ roleId: number | null; canChangeRank: boolean }> {
    if (this.auth !== "cookie") throw new RobloxNoCredentialsError("no ROBLOX_COOKIE configured");
    return this.legacy.ownMembership(groupId, tally);
  }

  /**
   * One page of the group's audit log (newest first unless asked otherwise). Needs an API key with
   * `legacy-group:manage` whose owner may view the log: a 403 is a RobloxAuditLogForbiddenError.
   */
  readAuditLog(groupId: number, query?: AuditLogQuery, tally?: RequestTally): Promise<AuditLogPage> {
    if (!this.auditLog) {
      return Promise.reject(new RobloxNoCredentialsError("reading the group audit log needs an Open Cloud API key (ROBLOX_API_KEY)"));
    }
    return this.auditLog.readPage(groupId, query, tally);
  }

  /** Open Cloud write calls, for the start-up check's side-effect-free probe. Undefined without a key. */
  get openCloudApi(): OpenCloudApi | undefined {
    return this.openCloud;
  }

  /** The limiter's current view of one API class (limit, window, requests left). */
  rateLimitState(api: ApiClass) {
    return this.limits.for(api).state();
  }

  /** Per minute, the budget of each class whose host sends no rate-limit headers, as learned so far. */
  learnedRates(): Array<{ api: ApiClass; perMinute: number }> {
    return API_CLASSES.map((api) => this.limits.for(api).state())
      .filter((state) => state.learned)
      .map((state) => ({ api: state.api, perMinute: (state.limit * 60_000) / state.windowMs }));
  }

  /** How long a lookup asked now would wait for its rate limit, in ms (by the API class it goes to). */
  lookupWaitMs(lookup: "username" | "membership" | "profile"): number {
    const openCloud = this.reads.family === "open-cloud";
    const api: ApiClass =
      lookup === "username" ? "legacy" : lookup === "membership" ? (openCloud ? "groups.memberships" : "legacy") : openCloud ? "users.get" : "legacy";
    return this.limits.for(api).estimateWaitMs();
  }

  /** The longest any request already waiting for a rate limit still has to wait, in ms. */
  queuedWaitMs(): number {
    return Math.max(...API_CLASSES.map((api) => this.limits.for(api).queueWaitMs()));
  }

  /** Stops the limiters' timers; pending requests are dropped. */
  async close(): Promise<void> {
    await this.limits.stop();
  }

  /** The rate membership reads may use, as the limiter currently knows it (headers win over the documented limit). */
  private membershipReadsPerMinute(): number {
    const { limit, windowMs } = this.limits.for(this.reads.family === "open-cloud" ? "groups.memberships" : "legacy").state();
    return (limit * 60_000) / windowMs;
  }

  private async *pages(fetchPage: (token: string | null) => Promise<RosterPage>, first: string | null): AsyncGenerator<RosterPage> {
    let token = first;
    do {
      const page = await fetchPage(token);
      yield page;
      token = page.nextPageToken;
    } while (token);
  }

  private async rolesFor(groupId: number, tally?: RequestTally): Promise<GroupRole[]> {
    return (await this.cachedRoles(groupId, tally)).roles;
  }

  private async cachedRoles(groupId: number, tally?: RequestTally): Promise<{ roles: GroupRole[]; fresh: boolean }> {
    const cached = this.rolesCache.get(groupId);
    if (cached && Date.now() - cached.fetchedAt < this.rolesCacheTtlMs) return { roles: cached.roles, fresh: false };
    return { roles: await this.listRoles(groupId, tally), fresh: true };
  }

  /** The cached roles, refreshed once when some role id is unknown (roles were added since). */
  private async rolesCovering(groupId: number, roleIds: number[], tally?: RequestTally): Promise<GroupRole[]> {
    const { roles, fresh } = await this.cachedRoles(groupId, tally);
    const known = new Set(roles.map((role) => role.id));
    if (fresh || roleIds.every((id) => known.has(id))) return roles;
    return this.listRoles(groupId, tally);
  }

  private async findRole(groupId: number, roleId: number, tally?: RequestTally): Promise<GroupRole> {
    const role = (await this.rolesCovering(groupId, [roleId], tally)).find((candidate) => candidate.id === roleId);
    if (!role) throw new RobloxRoleNotFoundError(`role ${roleId} does not exist in group ${groupId}`);
    return role;
  }
}

/** The member's highest-ranked role (Open Cloud: rank = the highest of the roles held). */
function highestRole(member: GroupMember, roles: GroupRole[]): GroupRole {
  // A rank guessed from a partial role list could demote someone (their base role would look
  // highest): every role they hold must be listed, or the answer is asked for again later.
  const missing = [member.roleId, ...member.roleIds].find((id) => !roles.some((role) => role.id === id));
  if (missing !== undefined) {
    throw new RobloxMalformedAnswerError("list roles", "groupRoles", `lacks role ${missing}, which user ${member.userId} holds`);
  }
  const held = roles.filter((role) => member.roleIds.includes(role.id) || role.id === member.roleId);
  return held.reduce((best, role) => (role.rank > best.rank ? role : best));
}

function chunks<T>(items: T[], size: number): T[][] {
  const result: T[][] = [];
  for (let index = 0; index < items.length; index += size) result.push(items.slice(index, index + size));
  return result;
}

async function mapConcurrently<T, R>(items: T[], concurrency: number, map: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await map(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
