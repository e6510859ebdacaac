ALTER TABLE `link_challenges` ADD `roblox_display_name` text;--> statement-breakpoint
ALTER TABLE `members` ADD `roblox_display_name` text;