PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_roblox_feed_cursors` (
	`group_id` integer NOT NULL,
	`scope` text DEFAULT '' NOT NULL,
	`newest_created_at` integer NOT NULL,
	`newest_keys` text NOT NULL,
	`fence` integer DEFAULT 0 NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	PRIMARY KEY(`group_id`, `scope`)
);
--> statement-breakpoint
INSERT INTO `__new_roblox_feed_cursors`("group_id", "newest_created_at", "newest_keys", "updated_at") SELECT "group_id", "newest_created_at", "newest_keys", "updated_at" FROM `roblox_feed_cursors`;--> statement-breakpoint
DROP TABLE `roblox_feed_cursors`;--> statement-breakpoint
ALTER TABLE `__new_roblox_feed_cursors` RENAME TO `roblox_feed_cursors`;--> statement-breakpoint
PRAGMA foreign_keys=ON;