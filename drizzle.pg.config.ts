import { defineConfig } from "drizzle-kit";

// The PostgreSQL migrations (design §8, DATABASE_URL). As for SQLite, only `drizzle-kit generate` is
// used: the bot applies the embedded migrations itself at start, under an advisory lock
// (src/db/pg/migrate.ts), so processes starting at once are safe.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/pg/schema.ts",
  out: "./drizzle-pg",
  strict: true,
  verbose: true,
});
