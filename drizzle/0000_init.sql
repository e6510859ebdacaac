CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`guild_id` text NOT NULL,
	`actor_id` text NOT NULL,
	`action` text NOT NULL,
	`target_discord_id` text,
	`target_roblox_user_id` integer,
	`before` text,
	`after` text,
	`reason` text,
	`outcome` text DEFAULT 'ok' NOT NULL,
	`detail` text,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_guild_target_created_idx` ON `audit_log` (`guild_id`,`target_discord_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `audit_guild_created_idx` ON `audit_log` (`guild_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `guild_settings` (
	`guild_id` text PRIMARY KEY NOT NULL,
	`roblox_group_id` integer,
	`roblox_api_key_encrypted` text,
	`admin_role_id` text,
	`log_channel_id` text,
	`sync_interval_ms` integer,
	`left_group_policy` text DEFAULT 'remove' NOT NULL,
	`sync_rank_filter` text,
	`alert_webhook_url` text,
	`sync_paused_reason` text,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `link_challenges` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`guild_id` text NOT NULL,
	`discord_id` text NOT NULL,
	`kind` text NOT NULL,
	`roblox_user_id` integer,
	`roblox_username` text,
	`phrase` text,
	`oauth_state` text,
	`pkce_verifier` text,
	`expires_at` integer NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `link_challenges_member_kind_uq` ON `link_challenges` (`guild_id`,`discord_id`,`kind`);--> statement-breakpoint
CREATE UNIQUE INDEX `link_challenges_oauth_state_uq` ON `link_challenges` (`oauth_state`);--> statement-breakpoint
CREATE INDEX `link_challenges_expires_idx` ON `link_challenges` (`expires_at`);--> statement-breakpoint
CREATE TABLE `members` (
	`guild_id` text NOT NULL,
	`discord_id` text NOT NULL,
	`roblox_user_id` integer,
	`roblox_username` text,
	`verified_by` text,
	`verified_at` integer,
	`points` integer DEFAULT 0 NOT NULL,
	`rank_id` integer,
	`rank_updated_at` integer,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	PRIMARY KEY(`guild_id`, `discord_id`),
	FOREIGN KEY (`rank_id`) REFERENCES `ranks`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "members_points_nonneg" CHECK("members"."points" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `members_guild_roblox_user_uq` ON `members` (`guild_id`,`roblox_user_id`);--> statement-breakpoint
CREATE INDEX `members_rank_idx` ON `members` (`rank_id`);--> statement-breakpoint
CREATE TABLE `meta` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `pending_roblox_writes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`guild_id` text NOT NULL,
	`discord_id` text NOT NULL,
	`roblox_user_id` integer NOT NULL,
	`group_id` integer NOT NULL,
	`target_roblox_role_id` integer NOT NULL,
	`target_rank` integer NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`last_error` text,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `pending_writes_guild_user_uq` ON `pending_roblox_writes` (`guild_id`,`roblox_user_id`);--> statement-breakpoint
CREATE INDEX `pending_writes_due_idx` ON `pending_roblox_writes` (`next_attempt_at`);--> statement-breakpoint
CREATE TABLE `ranks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`guild_id` text NOT NULL,
	`position` integer NOT NULL,
	`name` text NOT NULL,
	`roblox_role_id` integer NOT NULL,
	`roblox_rank` integer NOT NULL,
	`discord_role_id` text,
	`points_required` integer DEFAULT 0 NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	CONSTRAINT "ranks_roblox_rank_range" CHECK("ranks"."roblox_rank" BETWEEN 0 AND 255),
	CONSTRAINT "ranks_position_nonneg" CHECK("ranks"."position" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ranks_guild_roblox_role_uq` ON `ranks` (`guild_id`,`roblox_role_id`);--> statement-breakpoint
CREATE INDEX `ranks_guild_position_idx` ON `ranks` (`guild_id`,`position`);--> statement-breakpoint
CREATE TABLE `sync_run_items` (
	`run_id` integer NOT NULL,
	`discord_id` text NOT NULL,
	`seq` integer NOT NULL,
	`roblox_user_id` integer,
	`from_rank_id` integer,
	`to_rank_id` integer,
	`add_roles` text DEFAULT '[]' NOT NULL,
	`remove_roles` text DEFAULT '[]' NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`error` text,
	PRIMARY KEY(`run_id`, `discord_id`),
	FOREIGN KEY (`run_id`) REFERENCES `sync_runs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `sync_run_items_run_status_seq_idx` ON `sync_run_items` (`run_id`,`status`,`seq`);--> statement-breakpoint
CREATE TABLE `sync_runs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`guild_id` text NOT NULL,
	`trigger` text NOT NULL,
	`status` text DEFAULT 'running' NOT NULL,
	`dry_run` integer DEFAULT false NOT NULL,
	`started_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`finished_at` integer,
	`total` integer DEFAULT 0 NOT NULL,
	`updated` integer DEFAULT 0 NOT NULL,
	`in_sync` integer DEFAULT 0 NOT NULL,
	`errors` integer DEFAULT 0 NOT NULL,
	`skipped` integer DEFAULT 0 NOT NULL,
	`roblox_requests` integer DEFAULT 0 NOT NULL,
	`discord_requests` integer DEFAULT 0 NOT NULL,
	`progress` text,
	`error` text,
	`interaction_app_id` text,
	`interaction_token` text,
	`channel_id` text
);
--> statement-breakpoint
CREATE INDEX `sync_runs_guild_started_idx` ON `sync_runs` (`guild_id`,`started_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `sync_runs_one_running_uq` ON `sync_runs` (`guild_id`) WHERE status = 'running';