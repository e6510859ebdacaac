CREATE TABLE `sync_requests` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`guild_id` text NOT NULL,
	`actor_id` text NOT NULL,
	`action` text NOT NULL,
	`dry_run` integer DEFAULT false NOT NULL,
	`force` integer DEFAULT false NOT NULL,
	`status` text DEFAULT 'queued' NOT NULL,
	`requested_at` integer NOT NULL,
	`claimed_at` integer,
	`claimed_by` text,
	`run_id` integer,
	`refusal` text
);
--> statement-breakpoint
CREATE INDEX `sync_requests_guild_idx` ON `sync_requests` (`guild_id`,`id`);--> statement-breakpoint
CREATE INDEX `sync_requests_status_idx` ON `sync_requests` (`status`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `sync_requests_one_queued_uq` ON `sync_requests` (`guild_id`) WHERE status = 'queued';