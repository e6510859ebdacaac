import type { Logger } from "../observability/logger.ts";
import type { Metrics } from "../observability/metrics.ts";
import type { LinkedRanks, RobloxRankWriter } from "../services/roblox-port.ts";
import { RobloxNoCredentialsError } from "./errors.ts";
import { type AuditLogQuery, AuditLogApi } from "./audit-log.ts";
import type { AuditLogPage } from "./audit-log-schema.ts";
import { RobloxBatchLoaders } from "./batching.ts";
import { chunks, mapConcurrently } from "./concurrency.ts";
import { GroupRoleCache } from "./group-roles.ts";
import { LegacyApi, USERNAMES_BATCH_SIZE } from "./legacy.ts";
import { readLinkedRanks } from "./linked-ranks.ts";
import { RobloxRateLimits, type ApiClass, type RateLimitOptions } from "./limits.ts";
import { OpenCloudApi } from "./open-cloud.ts";
import { planGroupHoldings, readGroupHoldings, type GroupHoldingsDeps, type GroupHoldingsOptions, type GroupHoldingsRead } from "./group-holdings.ts";
import { planRankLookup, type GroupsLookupPlan, type RankLookupPlan } from "./planner.ts";
import { highestRole, rolesHeld } from "./member-roles.ts";
import { writeRank } from "./rank-write.ts";
import { MEMBERSHIP_BATCH_SIZE, type RobloxReadApi } from "./read-api.ts";
import { RobloxTransport, type RequestTally, type RetryOptions } from "./transport.ts";
import type {
  GroupInfo,
  GroupMember,
  GroupRole,
  Membership,
  RobloxAuthKind,
  RobloxUser,
  RobloxUserId,
  RobloxUserProfile,
  RosterPage,
  SetRankOptions,
  SetRankResult,
} from "./types.ts";
import { RobloxUrls } from "./urls.ts";
import { checkApiKeyWrite } from "./verify.ts";

export type { LinkedRanks } from "../services/roblox-port.ts";

/** One username request every 1.5 s at most while lookups keep coming (batching.ts explains why). */
const USERNAMES_MIN_INTERVAL_MS = 1_500;

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
   * How Open Cloud rank writes are sent: `assign-role` (`:assignRole` the new rank, `:unassignRole`
   * the old; see `setRank`) or the deprecated single-role `patch`, which is then used only where the
   * member holds no role it could take away.
   */
  openCloudRankWrite?: "assign-role" | "patch";
  /** How long a group's role list is reused for rank lookups (default 60 s). */
  rolesCacheTtlMs?: number;
  /** Membership batches read side by side by `readLinkedRanks` (default 4). */
  batchConcurrency?: number;
  metrics?: Metrics;
  logger?: Logger;
  /**
   * Told of every rank write this client sends (before its requests go), so the change feed can
   * tell the audit-log entries of our own writes from changes made by people on Roblox.
   */
  onRankWritten?: (write: RankWritten) => void;
}

/** A rank write this client sent: the member's rank moves from `previousRoleId` to `roleId`. */
export interface RankWritten {
  groupId: number;
  userId: RobloxUserId;
  roleId: number;
  previousRoleId: number;
  /** Epoch ms when the write was about to be sent. */
  at: number;
}

/**
 * The Roblox client every feature reads groups, users and ranks and writes ranks through; one per
 * set of credentials (rate limits are counted per API key owner). Picks the API family from the
 * credentials it is given (Open Cloud with a key, legacy with a cookie or anonymously) and hides
 * the difference. Implements the application's Roblox ports (src/services/roblox-port.ts).
 *
 * Over 300 lines on purpose: it is the one surface callers see, and each method is a few lines
 * handing the work to the file that does it (rank-write.ts, group-roles.ts, linked-ranks.ts,
 * group-holdings.ts, batching.ts, limits.ts); split up, callers would hold several clients that
 * must share one set of limiters and caches.
 */
export class RobloxClient implements RobloxRankWriter {
  readonly auth: RobloxAuthKind;
  private readonly limits: RobloxRateLimits;
  private readonly legacy: LegacyApi;
  private readonly openCloud: OpenCloudApi | undefined;
  private readonly auditLog: AuditLogApi | undefined;
  private readonly reads: RobloxReadApi;
  private readonly rankWrite: "assign-role" | "patch";
  private readonly roles: GroupRoleCache;
  private readonly batchConcurrency: number;
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
    this.roles = new GroupRoleCache((groupId, tally) => this.reads.listRoles(groupId, tally), options.rolesCacheTtlMs ?? 60_000);
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
  listRoles(groupId: number, tally?: RequestTally): Promise<GroupRole[]> {
    return this.roles.list(groupId, tally);
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
    const roles = await this.roles.covering(groupId, member.roleIds, tally);
    const highest = highestRole(member, roles);
    return { ...member, roleId: highest.id, rank: highest.rank, roleName: highest.name, roles: rolesHeld(member, roles) };
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
   * Moves the member's rank to `roleId` and leaves their other roles alone (rank-write.ts says how,
   * on Open Cloud and on the legacy hosts). Nothing is sent (`changed:false`) when nothing changes.
   */
  setRank(groupId: number, userId: RobloxUserId, roleId: number, options: SetRankOptions = {}): Promise<SetRankResult> {
    if (this.auth === "none") {
      return Promise.reject(new RobloxNoCredentialsError("no ROBLOX_API_KEY or ROBLOX_COOKIE configured: cannot write ranks"));
    }
    const onRankWritten = this.onRankWritten;
    const apis = {
      reads: this.reads,
      roles: this.roles,
      legacy: this.legacy,
      openCloud: this.openCloud,
      mode: this.rankWrite,
      ...(onRankWritten ? { announce: (previousRoleId: number) => onRankWritten({ groupId, userId, roleId, previousRoleId, at: Date.now() }) } : {}),
    };
    return writeRank(apis, groupId, userId, roleId, options);
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
    const roles = boundRoleIds.length > 0 ? await this.roles.kept(groupId, tally) : [];
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

  /** Runs a rank-lookup plan (planning first when none is given) for the linked users (linked-ranks.ts). */
  readLinkedRanks(groupId: number, linkedUserIds: RobloxUserId[], options: { boundRoleIds?: number[]; plan?: RankLookupPlan } = {}): Promise<LinkedRanks> {
    const source = {
      batchConcurrency: this.batchConcurrency,
      planLinkedRankLookup: this.planLinkedRankLookup.bind(this),
      membershipsOf: this.membershipsOf.bind(this),
      roster: this.roster.bind(this),
      roleMembers: this.roleMembers.bind(this),
      rolesCovering: this.roles.covering.bind(this.roles),
    };
    return readLinkedRanks(source, groupId, linkedUserIds, options);
  }

  /**
   * Every role the linked users hold in each of `groupIds` (the guild's own group and the other
   * groups its binds name), read the cheapest way (group-holdings.ts), under the same rate limits
   * as every other read of this client.
   */
  readGroupRoleHoldings(groupIds: readonly number[], linkedUserIds: readonly RobloxUserId[], options?: GroupHoldingsOptions): Promise<GroupHoldingsRead> {
    return readGroupHoldings(this.holdingsDeps, groupIds, linkedUserIds, options);
  }

  /** The plan `readGroupRoleHoldings` would follow (one group request per group), for a dry run to show. */
  planGroupRoleHoldings(
    groupIds: readonly number[],
    linkedCount: number,
    options: Omit<GroupHoldingsOptions, "plan"> = {},
    tally: RequestTally = { requests: 0 },
  ): Promise<GroupsLookupPlan> {
    return planGroupHoldings(this.holdingsDeps, groupIds, linkedCount, options, tally);
  }

  private get holdingsDeps(): GroupHoldingsDeps {
    return {
      reads: this.reads,
      getGroup: (groupId, tally) => this.getGroup(groupId, tally),
      rolesFor: (groupId, tally) => this.roles.kept(groupId, tally),
      rolesCovering: (groupId, roleIds, tally) => this.roles.covering(groupId, roleIds, tally),
      pages: (fetchPage) => this.pages(fetchPage, null),
      mapConcurrently: (items, map) => mapConcurrently(items, this.batchConcurrency, map),
      membershipReadsPerMinute: () => this.membershipReadsPerMinute(),
    };
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

  /** Whether this credential may write ranks in the group, asked without changing anything (verify.ts). */
  probeRankWrite(groupId: number, roles: GroupRole[], problem: (setting: string, message: string) => void): Promise<boolean> {
    return checkApiKeyWrite(this, groupId, roles, problem);
  }

  /** Open Cloud write calls, for the start-up check's side-effect-free probe. Undefined without a key. */
  get openCloudApi(): OpenCloudApi | undefined {
    return this.openCloud;
  }

  /** The limiter's current view of one API class (limit, window, requests left). */
  /** Audit-log requests a minute this credential may send (the change feed spaces its polls to it). */
  auditLogPerMinute(): number {
    return this.limits.perMinute("groups.auditLog");
  }

  rateLimitState(api: ApiClass) {
    return this.limits.for(api).state();
  }

  /** Per minute, the budget of each class whose host sends no rate-limit headers, as learned so far. */
  learnedRates(): Array<{ api: ApiClass; perMinute: number }> {
    return this.limits.learnedRates();
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
    return this.limits.queuedWaitMs();
  }

  /** Stops the limiters' timers; pending requests are dropped. */
  async close(): Promise<void> {
    await this.limits.stop();
  }

  /** The rate membership reads may use, as the limiter currently knows it. */
  private membershipReadsPerMinute(): number {
    return this.limits.perMinute(this.reads.family === "open-cloud" ? "groups.memberships" : "legacy");
  }

  private async *pages(fetchPage: (token: string | null) => Promise<RosterPage>, first: string | null): AsyncGenerator<RosterPage> {
    let token = first;
    do {
      const page = await fetchPage(token);
      yield page;
      token = page.nextPageToken;
    } while (token);
  }
}
