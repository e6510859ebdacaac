ALTER TABLE `guild_settings` ADD `mass_change_percent` integer;--> statement-breakpoint
ALTER TABLE `guild_settings` ADD `mass_change_members` integer;