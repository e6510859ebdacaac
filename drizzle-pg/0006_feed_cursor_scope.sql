ALTER TABLE "roblox_feed_cursors" ADD COLUMN "scope" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "roblox_feed_cursors" ADD COLUMN "fence" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "roblox_feed_cursors" DROP CONSTRAINT "roblox_feed_cursors_group_id_pk";--> statement-breakpoint
ALTER TABLE "roblox_feed_cursors" ADD CONSTRAINT "roblox_feed_cursors_group_id_scope_pk" PRIMARY KEY("group_id","scope");