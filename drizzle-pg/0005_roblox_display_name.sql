ALTER TABLE "link_challenges" ADD COLUMN "roblox_display_name" text;--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "roblox_display_name" text;