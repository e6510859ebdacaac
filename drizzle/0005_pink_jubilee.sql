CREATE TABLE `roblox_feed_cursors` (
	`group_id` integer PRIMARY KEY NOT NULL,
	`newest_created_at` integer NOT NULL,
	`newest_keys` text NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
