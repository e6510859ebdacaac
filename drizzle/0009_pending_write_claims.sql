ALTER TABLE `pending_roblox_writes` ADD `claimed_by` text;--> statement-breakpoint
ALTER TABLE `pending_roblox_writes` ADD `claimed_until` integer;