ALTER TABLE "pending_roblox_writes" ADD COLUMN "claimed_by" text;--> statement-breakpoint
ALTER TABLE "pending_roblox_writes" ADD COLUMN "claimed_until" bigint;