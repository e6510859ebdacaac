DROP INDEX `audit_guild_target_created_idx`;--> statement-breakpoint
DROP INDEX `audit_guild_created_idx`;--> statement-breakpoint
CREATE INDEX `audit_guild_target_created_id_idx` ON `audit_log` (`guild_id`,`target_discord_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `audit_guild_action_created_id_idx` ON `audit_log` (`guild_id`,`action`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `audit_guild_created_id_idx` ON `audit_log` (`guild_id`,`created_at`,`id`);