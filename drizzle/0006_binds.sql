CREATE TABLE `binds` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`guild_id` text NOT NULL,
	`kind` text NOT NULL,
	`rank_id` integer,
	`group_id` integer,
	`min_rank` integer,
	`max_rank` integer,
	`role_ids` text NOT NULL,
	`rank_role` integer DEFAULT false NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`rank_id`) REFERENCES `ranks`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "binds_kind_fields" CHECK(("binds"."kind" = 'rank' AND "binds"."rank_id" IS NOT NULL AND "binds"."group_id" IS NULL)
        OR ("binds"."kind" = 'range' AND "binds"."rank_id" IS NULL AND "binds"."group_id" IS NOT NULL
            AND "binds"."min_rank" BETWEEN 0 AND 255 AND "binds"."max_rank" BETWEEN 0 AND 255 AND "binds"."min_rank" <= "binds"."max_rank")
        OR ("binds"."kind" IN ('linked', 'unlinked') AND "binds"."rank_id" IS NULL AND "binds"."group_id" IS NULL)),
	CONSTRAINT "binds_rank_role_is_rank" CHECK(NOT "binds"."rank_role" OR "binds"."kind" = 'rank')
);
--> statement-breakpoint
CREATE INDEX `binds_guild_idx` ON `binds` (`guild_id`,`id`);--> statement-breakpoint
CREATE INDEX `binds_rank_idx` ON `binds` (`rank_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `binds_rank_role_uq` ON `binds` (`rank_id`) WHERE rank_role;--> statement-breakpoint
ALTER TABLE `guild_settings` ADD `verified_role_id` text;--> statement-breakpoint
ALTER TABLE `guild_settings` ADD `unverified_role_id` text;--> statement-breakpoint
ALTER TABLE `guild_settings` ADD `nickname_template` text;--> statement-breakpoint
ALTER TABLE `guild_settings` ADD `group_lock_mode` text;--> statement-breakpoint
ALTER TABLE `guild_settings` ADD `min_account_age_days` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `sync_run_items` ADD `nick` text;--> statement-breakpoint
-- The ladder becomes rank binds in place: each rank's Discord role is now its rank bind (rank_role = 1).
INSERT INTO `binds` (`guild_id`, `kind`, `rank_id`, `role_ids`, `rank_role`, `created_at`, `updated_at`)
  SELECT `guild_id`, 'rank', `id`, json_array(`discord_role_id`), 1, `created_at`, `updated_at`
  FROM `ranks` WHERE `discord_role_id` IS NOT NULL ORDER BY `guild_id`, `position`, `id`;
