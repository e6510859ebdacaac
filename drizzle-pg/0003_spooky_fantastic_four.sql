CREATE TABLE "roblox_feed_cursors" (
	"group_id" bigint NOT NULL,
	"newest_created_at" bigint NOT NULL,
	"newest_keys" jsonb NOT NULL,
	"updated_at" bigint DEFAULT (extract(epoch from clock_timestamp()) * 1000)::bigint NOT NULL,
	CONSTRAINT "roblox_feed_cursors_group_id_pk" PRIMARY KEY("group_id")
);
