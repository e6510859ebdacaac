/**
 * The storage schema. Every row belongs to one Discord guild (`guild_id`), except `meta`, the
 * dashboard's sign-ins and sessions (which belong to a browser and a Discord user), and
 * `roblox_feed_cursors` (one per Roblox group: a group bound in several guilds is read once).
 * Timestamps are integer milliseconds since the epoch (`Date.now()`), kept as plain numbers so
 * they cross the JSON/log/metrics boundaries unchanged.
 *
 * After editing this file run `bun run db:generate` (drizzle-kit + scripts/embed-migrations.ts).
 *
 * Over 300 lines on purpose: drizzle-kit generates the migrations from this one schema-first
 * module, and the tables' foreign keys and checks read best side by side.
 */
import { sql } from "drizzle-orm";
import {
  check,
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";

/** Epoch milliseconds. */
export type EpochMs = number;

// Unions kept as `as const` arrays so features can validate input against the same list.
export const LEFT_GROUP_POLICIES = ["remove", "flag"] as const;
export type LeftGroupPolicy = (typeof LEFT_GROUP_POLICIES)[number];

/** What happens to a linked member who is not in the guild's Roblox group (design §3.1). */
export const GROUP_LOCK_MODES = ["off", "remove-roles", "kick"] as const;
export type GroupLockMode = (typeof GROUP_LOCK_MODES)[number];

/** Kinds of bind; src/ranks/binds.ts defines what each matches. */
export const BIND_KINDS = ["rank", "range", "linked", "unlinked"] as const;
export type BindKind = (typeof BIND_KINDS)[number];

export const VERIFICATION_METHODS = ["profile-phrase", "oauth"] as const;
export type VerificationMethod = (typeof VERIFICATION_METHODS)[number];

export const LINK_CHALLENGE_KINDS = ["phrase", "oauth"] as const;
export type LinkChallengeKind = (typeof LINK_CHALLENGE_KINDS)[number];

export const AUDIT_ACTIONS = [
  "link",
  "unlink",
  "rank.promote",
  "rank.demote",
  "rank.set",
  "points.add",
  "points.remove",
  "points.set",
  "ranks.import",
  "ranks.bind",
  "ranks.unbind",
  "ranks.edit",
  "binds.add",
  "binds.remove",
  "roblox.write",
  "sync.member",
  "sync.run",
  "member.kick",
  /** A change made on Roblox (read from the group's audit log) applied in Discord. */
  "roblox.change",
  "config",
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const AUDIT_OUTCOMES = ["ok", "partial", "failed"] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** Who did it: a Discord user id, or the bot itself. */
export type AuditActor = string | "system";

export const SYNC_TRIGGERS = ["manual", "background", "resume"] as const;
export type SyncTrigger = (typeof SYNC_TRIGGERS)[number];

export const SYNC_RUN_STATUSES = ["running", "done", "failed", "paused"] as const;
/** What a sync request from the dashboard asks: a run, or an answer to a run the mass-change guard held. */
export const SYNC_REQUEST_ACTIONS = ["sync", "apply", "cancel"] as const;
/** queued: waiting for the process of the guild's shard; claimed: that process took it; done: it acted (run_id); refused: it could not (refusal). */
export const SYNC_REQUEST_STATUSES = ["queued", "claimed", "done", "refused"] as const;
export type SyncRunStatus = (typeof SYNC_RUN_STATUSES)[number];

/** "held": planned, but waiting for the mass-change guard (or an admin) before it may be applied. */
export const SYNC_ITEM_STATUSES = ["pending", "done", "failed", "skipped", "held"] as const;
export type SyncItemStatus = (typeof SYNC_ITEM_STATUSES)[number];

/**
 * Saved sync cursor. Opaque to storage: the sync layer owns its shape, so it is only required to
 * be a JSON object. The plan itself lives in `sync_run_items`.
 */
export type SyncRunProgress = Record<string, unknown>;

// SQL-side default for timestamp columns, so rows inserted outside the repositories (raw SQL,
// future migrations) still get a value. The repositories pass their own clock's value.
const nowMs = sql`(cast(unixepoch('subsec') * 1000 as integer))`;
const createdAt = () => integer("created_at").notNull().default(nowMs);
const updatedAt = () => integer("updated_at").notNull().default(nowMs);

export const guildSettings = sqliteTable("guild_settings", {
  guildId: text("guild_id").primaryKey(),
  /** null: use ROBLOX_GROUP_ID. */
  robloxGroupId: integer("roblox_group_id"),
  /** AES-GCM ciphertext, base64 with its iv; never the plain key. */
  robloxApiKeyEncrypted: text("roblox_api_key_encrypted"),
  adminRoleId: text("admin_role_id"),
  logChannelId: text("log_channel_id"),
  /** null: use SYNC_INTERVAL. */
  syncIntervalMs: integer("sync_interval_ms"),
  leftGroupPolicy: text("left_group_policy", { enum: LEFT_GROUP_POLICIES }).notNull().default("remove"),
  /** Rank ids a background sync is limited to; null = every rank. */
  syncRankFilter: text("sync_rank_filter", { mode: "json" }).$type<number[]>(),
  alertWebhookUrl: text("alert_webhook_url"),
  /** Set when background sync is paused for this guild (e.g. missing permissions); null = active. */
  syncPausedReason: text("sync_paused_reason"),
  /**
   * The mass-change guard: a sync that would strip rank roles from (or count as gone from the
   * group) more than this share AND more than this many linked members waits for an admin.
   * null: the defaults (10 %, 10 members).
   */
  massChangePercent: integer("mass_change_percent"),
  massChangeMembers: integer("mass_change_members"),
  /** Linked members hold this role; null: none. */
  verifiedRoleId: text("verified_role_id"),
  /** Members who are not linked hold this role; null: none. */
  unverifiedRoleId: text("unverified_role_id"),
  /** Nickname template for linked members (src/ranks/nickname.ts); null: nicknames are left alone. */
  nicknameTemplate: text("nickname_template"),
  /**
   * A linked member not in the group: "off" leaves them, "remove-roles" takes their bound roles,
   * "kick" removes them from the guild. null: follow left_group_policy (remove → remove-roles,
   * flag → off), so guilds set up before group lock keep their behaviour.
   */
  groupLockMode: text("group_lock_mode", { enum: GROUP_LOCK_MODES }),
  /** Roblox accounts younger than this many days cannot link; 0 = off. */
  minAccountAgeDays: integer("min_account_age_days").notNull().default(0),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const ranks = sqliteTable(
  "ranks",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    guildId: text("guild_id").notNull(),
    /** Ladder order, 0 = lowest. */
    position: integer("position").notNull(),
    name: text("name").notNull(),
    robloxRoleId: integer("roblox_role_id").notNull(),
    robloxRank: integer("roblox_rank").notNull(),
    /**
     * Retired: the rank's own Discord role now lives in `binds` (the rank bind with rank_role = 1),
     * where the binds migration copied it. Kept, unread and unwritten, so that migration is additive.
     */
    legacyDiscordRoleId: text("discord_role_id"),
    pointsRequired: integer("points_required").notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("ranks_guild_roblox_role_uq").on(t.guildId, t.robloxRoleId),
    index("ranks_guild_position_idx").on(t.guildId, t.position),
    check("ranks_roblox_rank_range", sql`${t.robloxRank} BETWEEN 0 AND 255`),
    check("ranks_position_nonneg", sql`${t.position} >= 0`),
  ],
);

/**
 * Binds (design §3.1): a condition and the Discord roles it gives. `rank_role` marks the one rank
 * bind per rank that is the rank's own Discord role (what `/ranks import` binds, what the ladder
 * reads as "the member shows this rank"); every other bind only adds roles.
 */
export const binds = sqliteTable(
  "binds",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    guildId: text("guild_id").notNull(),
    kind: text("kind", { enum: BIND_KINDS }).notNull(),
    /** kind = rank: the ladder rank; the bind goes with the rank. */
    rankId: integer("rank_id").references(() => ranks.id, { onDelete: "cascade" }),
    /** kind = range: the Roblox group and rank numbers (0 = not in the group). */
    groupId: integer("group_id"),
    minRank: integer("min_rank"),
    maxRank: integer("max_rank"),
    /** Discord role ids it gives, a JSON array of snowflake strings. */
    roleIds: text("role_ids", { mode: "json" }).$type<string[]>().notNull(),
    rankRole: integer("rank_role", { mode: "boolean" }).notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("binds_guild_idx").on(t.guildId, t.id),
    index("binds_rank_idx").on(t.rankId),
    // A rank has at most one role of its own.
    // Written as a bare boolean so the PostgreSQL twin (a boolean column) reads the same.
    uniqueIndex("binds_rank_role_uq").on(t.rankId).where(sql`rank_role`),
    check(
      "binds_kind_fields",
      sql`(${t.kind} = 'rank' AND ${t.rankId} IS NOT NULL AND ${t.groupId} IS NULL)
        OR (${t.kind} = 'range' AND ${t.rankId} IS NULL AND ${t.groupId} IS NOT NULL
            AND ${t.minRank} BETWEEN 0 AND 255 AND ${t.maxRank} BETWEEN 0 AND 255 AND ${t.minRank} <= ${t.maxRank})
        OR (${t.kind} IN ('linked', 'unlinked') AND ${t.rankId} IS NULL AND ${t.groupId} IS NULL)`,
    ),
    check("binds_rank_role_is_rank", sql`NOT ${t.rankRole} OR ${t.kind} = 'rank'`),
  ],
);

export const members = sqliteTable(
  "members",
  {
    guildId: text("guild_id").notNull(),
    discordId: text("discord_id").notNull(),
    robloxUserId: integer("roblox_user_id"),
    robloxUsername: text("roblox_username"),
    /** Roblox display name as read when the link was made (`{display-name}`); null when not known. */
    robloxDisplayName: text("roblox_display_name"),
    verifiedBy: text("verified_by", { enum: VERIFICATION_METHODS }),
    verifiedAt: integer("verified_at"),
    points: integer("points").notNull().default(0),
    /** The rank the database believes the member holds. */
    rankId: integer("rank_id").references(() => ranks.id, { onDelete: "set null" }),
    rankUpdatedAt: integer("rank_updated_at"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.guildId, t.discordId] }),
    // One Roblox account links to one Discord account per guild (NULLs, i.e. unlinked rows, don't collide).
    uniqueIndex("members_guild_roblox_user_uq").on(t.guildId, t.robloxUserId),
    index("members_rank_idx").on(t.rankId),
    check("members_points_nonneg", sql`${t.points} >= 0`),
  ],
);

export const linkChallenges = sqliteTable(
  "link_challenges",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    guildId: text("guild_id").notNull(),
    discordId: text("discord_id").notNull(),
    kind: text("kind", { enum: LINK_CHALLENGE_KINDS }).notNull(),
    /** Known up front for a phrase challenge; set from the token for OAuth. */
    robloxUserId: integer("roblox_user_id"),
    robloxUsername: text("roblox_username"),
    /** OAuth: the display name Sign in with Roblox gave, stored with the link once confirmed. */
    robloxDisplayName: text("roblox_display_name"),
    phrase: text("phrase"),
    oauthState: text("oauth_state"),
    pkceVerifier: text("pkce_verifier"),
    /**
     * OAuth: the SHA-256 of the nonce in the cookie of the browser that opened the sign-in link
     * first; the callback and the confirmation must come from that browser (design §10).
     */
    browserBinding: text("browser_binding"),
    expiresAt: integer("expires_at").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    // Starting a new challenge replaces the member's previous one of the same kind.
    uniqueIndex("link_challenges_member_kind_uq").on(t.guildId, t.discordId, t.kind),
    uniqueIndex("link_challenges_oauth_state_uq").on(t.oauthState),
    index("link_challenges_expires_idx").on(t.expiresAt),
  ],
);

export const auditLog = sqliteTable(
  "audit_log",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    guildId: text("guild_id").notNull(),
    actorId: text("actor_id").$type<AuditActor>().notNull(),
    action: text("action", { enum: AUDIT_ACTIONS }).notNull(),
    targetDiscordId: text("target_discord_id"),
    targetRobloxUserId: integer("target_roblox_user_id"),
    before: text("before", { mode: "json" }).$type<unknown>(),
    after: text("after", { mode: "json" }).$type<unknown>(),
    reason: text("reason"),
    outcome: text("outcome", { enum: AUDIT_OUTCOMES }).notNull().default("ok"),
    /** Free text; rows written before `note` existed carry their words here. */
    detail: text("detail"),
    /**
     * What happened, as a kind and its facts (src/services/audit-notes.ts AuditNote); the views word
     * it, so the record holds no wording.
     */
    note: text("note", { mode: "json" }).$type<unknown>(),
    createdAt: createdAt(),
  },
  (t) => [
    index("audit_guild_target_created_idx").on(t.guildId, t.targetDiscordId, t.createdAt),
    index("audit_guild_created_idx").on(t.guildId, t.createdAt),
  ],
);

export const syncRuns = sqliteTable(
  "sync_runs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    guildId: text("guild_id").notNull(),
    trigger: text("trigger", { enum: SYNC_TRIGGERS }).notNull(),
    status: text("status", { enum: SYNC_RUN_STATUSES }).notNull().default("running"),
    dryRun: integer("dry_run", { mode: "boolean" }).notNull().default(false),
    startedAt: integer("started_at").notNull().default(nowMs),
    finishedAt: integer("finished_at"),
    total: integer("total").notNull().default(0),
    updated: integer("updated").notNull().default(0),
    inSync: integer("in_sync").notNull().default(0),
    errors: integer("errors").notNull().default(0),
    skipped: integer("skipped").notNull().default(0),
    robloxRequests: integer("roblox_requests").notNull().default(0),
    discordRequests: integer("discord_requests").notNull().default(0),
    progress: text("progress", { mode: "json" }).$type<SyncRunProgress>(),
    error: text("error"),
    // Where to report progress for a manual run (interaction tokens last 15 minutes, so a resumed
    // run falls back to the channel).
    interactionAppId: text("interaction_app_id"),
    interactionToken: text("interaction_token"),
    channelId: text("channel_id"),
  },
  (t) => [
    index("sync_runs_guild_started_idx").on(t.guildId, t.startedAt),
    // At most one running sync per guild, even if two starts race.
    uniqueIndex("sync_runs_one_running_uq").on(t.guildId).where(sql`status = 'running'`),
  ],
);

export const syncRunItems = sqliteTable(
  "sync_run_items",
  {
    runId: integer("run_id")
      .notNull()
      .references(() => syncRuns.id, { onDelete: "cascade" }),
    discordId: text("discord_id").notNull(),
    /** Position in the plan, so a resumed run applies items in the original order. */
    seq: integer("seq").notNull(),
    robloxUserId: integer("roblox_user_id"),
    // Rank ids are a snapshot of the plan, deliberately not FKs: a ladder edit must not rewrite history.
    fromRankId: integer("from_rank_id"),
    toRankId: integer("to_rank_id"),
    addRoles: text("add_roles", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    removeRoles: text("remove_roles", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    /** The nickname to set in the same request; null: left as it is. */
    nick: text("nick"),
    status: text("status", { enum: SYNC_ITEM_STATUSES }).notNull().default("pending"),
    error: text("error"),
  },
  (t) => [
    primaryKey({ columns: [t.runId, t.discordId] }),
    index("sync_run_items_run_status_seq_idx").on(t.runId, t.status, t.seq),
  ],
);

export const pendingRobloxWrites = sqliteTable(
  "pending_roblox_writes",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    guildId: text("guild_id").notNull(),
    discordId: text("discord_id").notNull(),
    robloxUserId: integer("roblox_user_id").notNull(),
    groupId: integer("group_id").notNull(),
    targetRobloxRoleId: integer("target_roblox_role_id").notNull(),
    targetRank: integer("target_rank").notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at").notNull(),
    lastError: text("last_error"),
    /**
     * The retry that holds the write (a token per claim) and until when (epoch ms): the Roblox request
     * runs outside any transaction, so processes sharing the database take turns by these. null: free.
     */
    claimedBy: text("claimed_by"),
    claimedUntil: integer("claimed_until"),
    createdAt: createdAt(),
  },
  (t) => [
    // A newer write for the same user replaces the older one (it gets a new id, see pendingWrites.ts).
    uniqueIndex("pending_writes_guild_user_uq").on(t.guildId, t.robloxUserId),
    index("pending_writes_due_idx").on(t.nextAttemptAt),
  ],
);

/**
 * Where the change feed (design §3.2) stands in each Roblox group's audit log: the newest entry it
 * has applied, as its time plus the keys of every entry at exactly that time (entries carry no id,
 * and several may share a timestamp). A restart reads on from here: nothing missed, nothing applied
 * twice.
 */
export const robloxFeedCursors = sqliteTable(
  "roblox_feed_cursors",
  {
    // Roblox's group id: always given, never a rowid (a table-level key keeps it required on insert, as in PostgreSQL).
    groupId: integer("group_id").notNull(),
    /**
     * Whose cursor: `''` the bot's (one process, or a cluster whose processes share Redis, where one
     * process reads each group); else the shard set of a process reading on its own (several
     * processes on one database without Redis, design §8), so they never move each other's place.
     */
    scope: text("scope").notNull().default(""),
    /** `created` of the newest entry applied, epoch ms. */
    newestCreatedAt: integer("newest_created_at").notNull(),
    /** Keys (sync/change-feed/new-entries.ts, entryKey) of the entries created at `newestCreatedAt`. */
    newestKeys: text("newest_keys", { mode: "json" }).$type<string[]>().notNull(),
    /** Fencing token of the feed lease that last moved the cursor (0: moved without one); an older lease may not move it. */
    fence: integer("fence").notNull().default(0),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.scope] })],
);

export const meta = sqliteTable("meta", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  updatedAt: updatedAt(),
});

/**
 * Web dashboard sign-ins in flight (design §9): one row per "Log in with Discord" click, spent by its
 * callback. Like `dashboard_sessions` it belongs to a browser, not to a guild. Secrets are kept as
 * SHA-256 hashes where only a match is needed (the state, the browser's nonce); the PKCE verifier
 * must be sent to Discord, so it is kept as is, for ten minutes at most.
 */
export const dashboardSignIns = sqliteTable(
  "dashboard_sign_ins",
  {
    stateHash: text("state_hash").primaryKey(),
    /** SHA-256 of the nonce in the cookie of the browser that started the sign-in. */
    browserBinding: text("browser_binding").notNull(),
    pkceVerifier: text("pkce_verifier").notNull(),
    expiresAt: integer("expires_at").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("dashboard_sign_ins_expires_idx").on(t.expiresAt)],
);

/**
 * Signed-in dashboard users. The cookie holds a random token; only its SHA-256 is stored, so a copy
 * of the database signs no one in. `guildIds` are the guilds Discord listed at sign-in (to know
 * which to offer); whether the person may manage one is decided again on every request.
 */
export const dashboardSessions = sqliteTable(
  "dashboard_sessions",
  {
    idHash: text("id_hash").primaryKey(),
    discordUserId: text("discord_user_id").notNull(),
    username: text("username").notNull(),
    displayName: text("display_name"),
    guildIds: text("guild_ids", { mode: "json" }).$type<string[]>().notNull(),
    /** The per-session token every form carries (CSRF). */
    csrfToken: text("csrf_token").notNull(),
    expiresAt: integer("expires_at").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("dashboard_sessions_user_idx").on(t.discordUserId), index("dashboard_sessions_expires_idx").on(t.expiresAt)],
);

/**
 * "Sync now" / "Dry run" / held-run answers asked on the dashboard of a process that does not run
 * the guild's shard (design §8): the process that does claims each row once and acts on it. At most
 * one queued request per guild: a second click joins the first.
 */
export const syncRequests = sqliteTable(
  "sync_requests",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    guildId: text("guild_id").notNull(),
    /** The signed-in admin who asked (the run's audit actor). */
    actorId: text("actor_id").notNull(),
    action: text("action", { enum: SYNC_REQUEST_ACTIONS }).notNull(),
    dryRun: integer("dry_run", { mode: "boolean" }).notNull().default(false),
    force: integer("force", { mode: "boolean" }).notNull().default(false),
    status: text("status", { enum: SYNC_REQUEST_STATUSES }).notNull().default("queued"),
    requestedAt: integer("requested_at").notNull(),
    claimedAt: integer("claimed_at"),
    /** Which process claimed it (for the logs). */
    claimedBy: text("claimed_by"),
    /** The run it started or joined; for apply/cancel, the held run it answers. */
    runId: integer("run_id"),
    /** Why it was refused (a typed reason the page words). */
    refusal: text("refusal"),
  },
  (t) => [
    index("sync_requests_guild_idx").on(t.guildId, t.id),
    index("sync_requests_status_idx").on(t.status, t.id),
    uniqueIndex("sync_requests_one_queued_uq").on(t.guildId).where(sql`status = 'queued'`),
  ],
);

export type GuildSettings = typeof guildSettings.$inferSelect;
export type NewGuildSettings = typeof guildSettings.$inferInsert;
/** A rank row as the repositories return it: its own Discord role read from its rank bind. */
export type Rank = Omit<typeof ranks.$inferSelect, "legacyDiscordRoleId"> & { discordRoleId: string | null };
export type BindRow = typeof binds.$inferSelect;
export type NewBindRow = typeof binds.$inferInsert;
export type NewRank = typeof ranks.$inferInsert;
export type Member = typeof members.$inferSelect;
export type NewMember = typeof members.$inferInsert;
export type LinkChallenge = typeof linkChallenges.$inferSelect;
export type NewLinkChallenge = typeof linkChallenges.$inferInsert;
export type AuditEntry = typeof auditLog.$inferSelect;
export type NewAuditEntry = typeof auditLog.$inferInsert;
export type SyncRun = typeof syncRuns.$inferSelect;
export type NewSyncRun = typeof syncRuns.$inferInsert;
export type SyncRunItem = typeof syncRunItems.$inferSelect;
export type NewSyncRunItem = typeof syncRunItems.$inferInsert;
export type PendingRobloxWrite = typeof pendingRobloxWrites.$inferSelect;
export type NewPendingRobloxWrite = typeof pendingRobloxWrites.$inferInsert;
export type MetaEntry = typeof meta.$inferSelect;
export type RobloxFeedCursor = typeof robloxFeedCursors.$inferSelect;
export type DashboardSignIn = typeof dashboardSignIns.$inferSelect;
export type DashboardSession = typeof dashboardSessions.$inferSelect;
export type SyncRequest = typeof syncRequests.$inferSelect;
