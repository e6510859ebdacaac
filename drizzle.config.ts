import { defineConfig } from "drizzle-kit";

// Only `drizzle-kit generate` is used: drizzle-kit can't drive bun:sqlite, so migrations are
// applied by the bot itself at start (src/db/client.ts).
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema.ts",
  out: "./drizzle",
  strict: true,
  verbose: true,
});
