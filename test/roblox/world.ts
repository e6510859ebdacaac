/**
 * A small Roblox world on the emulator, shared by the client's tests: group 7 ("Army") with the
 * emulator's default ladder, its owner, a rank bot holding "Ranking Bot" (254), a few members, a
 * non-member, API keys with and without `group:write`, and the bot's cookie.
 */
import { expect } from "bun:test";
import { Writable } from "node:stream";
import { RobloxClient, type RobloxClientOptions } from "../../src/roblox/client.ts";
import { createLogger, type Logger } from "../../src/observability/logger.ts";
import { defaultRoles, startRobloxEmulator, type RobloxEmulator, type RobloxEmulatorOptions } from "../emulators/roblox/index.ts";
import { robloxValidator } from "../support/openapi.ts";

export type { RobloxEmulator };

export const GROUP_ID = 7;
export const OTHER_GROUP_ID = 8;

export const USERS = {
  owner: { id: 1, name: "GroupOwner" },
  bot: { id: 2, name: "RankBot" },
  alice: { id: 10, name: "Alice", description: "Proof: `amber-falcon-42` (for the Discord link)", created: "2021-04-03T08:09:10.123Z" },
  bob: { id: 11, name: "Bob" },
  carol: { id: 12, name: "Carol" },
} as const;

/** Role ids of defaultRoles(7): `7000 + n`. */
export const ROLE = {
  owner: 7001,
  rankingBot: 7002,
  recruit: 7003,
  guest: 7004,
  private: 7005,
  privateFirstClass: 7006,
  corporal: 7007,
  sergeant: 7008,
  captain: 7012,
  colonel: 7014,
  general: 7015,
} as const;

export const KEYS = {
  good: "key-read-write",
  readOnly: "key-read-only",
  unknown: "key-nobody-issued",
} as const;

export const BOT_COOKIE = "_|WARNING:-DO-NOT-SHARE-THIS.--test-cookie-of-the-rank-bot";

export async function startWorld(options: RobloxEmulatorOptions = {}): Promise<RobloxEmulator> {
  const rbx = await startRobloxEmulator(options);
  for (const user of Object.values(USERS)) rbx.addUser(user);
  rbx.createGroup({ id: GROUP_ID, name: "Army", ownerId: USERS.owner.id, roles: defaultRoles(GROUP_ID) });
  rbx.createGroup({ id: OTHER_GROUP_ID, name: "Navy", ownerId: USERS.owner.id, roles: defaultRoles(OTHER_GROUP_ID) });
  rbx.setMembership(GROUP_ID, USERS.bot.id, ROLE.rankingBot);
  rbx.setMembership(GROUP_ID, USERS.alice.id, ROLE.private);
  rbx.setMembership(GROUP_ID, USERS.bob.id, ROLE.corporal);
  rbx.setMembership(OTHER_GROUP_ID, USERS.carol.id, OTHER_GROUP_ID * 1000 + 5);
  rbx.addApiKey(KEYS.good, { ownerUserId: USERS.bot.id, scopes: ["group:read", "group:write"] });
  rbx.addApiKey(KEYS.readOnly, { ownerUserId: USERS.bot.id, scopes: ["group:read"] });
  rbx.addCookie(BOT_COOKIE, USERS.bot.id);
  return rbx;
}

/** Quick retries so failure tests stay fast; everything else as in production. */
export function clientFor(rbx: RobloxEmulator, options: RobloxClientOptions = {}): RobloxClient {
  return new RobloxClient({
    urlTemplate: rbx.urlTemplate,
    ...options,
    retry: { baseDelayMs: 20, maxDelayMs: 200, ...options.retry },
  });
}

/** Every request the emulator recorded conforms to Roblox's own OpenAPI document. */
export function expectRequestsMatchSpec(rbx: RobloxEmulator): void {
  const validator = robloxValidator();
  const problems = rbx.requests
    .map((request) => ({ request, result: validator.validate(request) }))
    .filter(({ result }) => !result.ok)
    .map(({ request, result }) => `${request.method} ${request.url}: ${result.errors.join("; ")}`);
  expect(problems).toEqual([]);
}

/** A pino logger whose JSON lines land in `lines`. */
export function capturedLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n")) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger({ level: "debug", destination }), lines };
}

export function requestsTo(rbx: RobloxEmulator, pathPart: string, method?: string) {
  return rbx.requests.filter((request) => request.url.includes(pathPart) && (!method || request.method === method));
}
