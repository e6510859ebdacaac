import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { RobloxClient } from "../../src/roblox/client.ts";
import {
  errorClassByKind,
  RobloxError,
  type RobloxErrorKind,
} from "../../src/roblox/errors.ts";
import type { FailureRule } from "../emulators/roblox/index.ts";
import { BOT_COOKIE, clientFor, expectRequestsMatchSpec, GROUP_ID, KEYS, ROLE, startWorld, USERS, type RobloxEmulator } from "./world.ts";

let rbx: RobloxEmulator;
let openCloud: RobloxClient;
let legacy: RobloxClient;
let anonymous: RobloxClient;
/** A 429 from a host without rate-limit headers holds that client's legacy requests for the window: its own client. */
let legacyRateLimited: RobloxClient;

beforeAll(async () => {
  rbx = await startWorld();
  // No retries: each answer below is seen once and mapped as it is.
  openCloud = clientFor(rbx, { apiKey: KEYS.good, retry: { maxRetries: 0 } });
  legacy = clientFor(rbx, { cookie: BOT_COOKIE, retry: { maxRetries: 0 } });
  anonymous = clientFor(rbx, { retry: { maxRetries: 0 } });
  legacyRateLimited = clientFor(rbx, { cookie: BOT_COOKIE, retry: { maxRetries: 0 } });
});

afterEach(() => {
  expectRequestsMatchSpec(rbx);
  rbx.failures.clear();
  rbx.requests.length = 0;
});

afterAll(async () => {
  await Promise.all([openCloud.close(), legacy.close(), anonymous.close(), legacyRateLimited.close()]);
  await rbx.close();
});

/** The sentence each kind shows a Discord user (asserted verbatim so a change is deliberate). */
const USER_MESSAGES: Partial<Record<RobloxErrorKind, RegExp>> = {
  user_not_found: /^That Roblox account doesn't exist\./,
  not_in_group: /^That Roblox account isn't a member of the group\./,
  role_not_found: /^That role no longer exists in the Roblox group\./,
  role_not_assignable: /^The Guest and Owner roles can't be given/,
  group_not_found: /^The Roblox group configured for this server doesn't exist\./,
  missing_permission: /^The bot's Roblox account isn't allowed to do that/,
  cannot_change_own_rank: /^The bot's own Roblox account can't change its own rank\./,
  cannot_change_owner_rank: /^The group owner's rank can't be changed\./,
  rate_limited: /^Roblox is limiting how fast the bot can work right now\./,
  service_unavailable: /^Roblox is having trouble right now\./,
  invalid_credentials: /^Roblox rejected the bot's credentials\./,
  invalid_request: /^Roblox refused the bot's request\./,
};

interface Row {
  what: string;
  client: () => RobloxClient;
  call: (client: RobloxClient) => Promise<unknown>;
  answer: FailureRule;
  kind: RobloxErrorKind;
  code: number | string;
}

const legacyRankWrite = (client: RobloxClient) => client.setRank(GROUP_ID, USERS.alice.id, ROLE.corporal);
const cloudRankWrite = (client: RobloxClient) => client.setRank(GROUP_ID, USERS.alice.id, ROLE.corporal);
const bedev1 = (status: number, code: number, message: string, method?: string, pathIncludes?: string): FailureRule => ({
  status,
  body: { errors: [{ code, message, userFacingMessage: "Something went wrong" }] },
  ...(method ? { method } : {}),
  ...(pathIncludes ? { pathIncludes } : {}),
});
const v2 = (status: number, code: string, message: string, method?: string, pathIncludes?: string): FailureRule => ({
  status,
  body: { code, message },
  ...(method ? { method } : {}),
  ...(pathIncludes ? { pathIncludes } : {}),
});

const GROUP_INVALID = "The group is invalid or does not exist.";

// Legacy codes: notes §2.2 (PATCH /v1/groups/{g}/users/{u} and the group, roles, member-list and
// user lookups), §2.1 (users), §2.3 (pre-controller and 429 bodies).
const legacyRows: Row[] = [
  { what: "rank change 400/1 group invalid", client: () => legacy, call: legacyRankWrite, answer: bedev1(400, 1, "The group is invalid or does not exist.", "PATCH"), kind: "group_not_found", code: 1 },
  { what: "rank change 400/2 roleset invalid", client: () => legacy, call: legacyRankWrite, answer: bedev1(400, 2, "The roleset is invalid or does not exist.", "PATCH"), kind: "role_not_found", code: 2 },
  { what: "rank change 400/3 user invalid (not a member)", client: () => legacy, call: legacyRankWrite, answer: bedev1(400, 3, "The user is invalid or does not exist.", "PATCH"), kind: "not_in_group", code: 3 },
  { what: "rank change 400/23 own role", client: () => legacy, call: legacyRankWrite, answer: bedev1(400, 23, "You cannot change your own role.", "PATCH"), kind: "cannot_change_own_rank", code: 23 },
  { what: "rank change 401/0 authorization denied", client: () => legacy, call: legacyRankWrite, answer: { method: "PATCH", status: 401, body: { errors: [{ code: 0, message: "Authorization has been denied for this request." }] } }, kind: "invalid_credentials", code: 0 },
  { what: "rank change 403/0 token validation failed, no new token", client: () => legacy, call: legacyRankWrite, answer: { method: "PATCH", status: 403, body: { errors: [{ code: 0, message: "Token Validation Failed" }] } }, kind: "invalid_credentials", code: 0 },
  { what: "rank change 403/4 no permission for this member", client: () => legacy, call: legacyRankWrite, answer: bedev1(403, 4, "You do not have permission to manage this member.", "PATCH"), kind: "missing_permission", code: 4 },
  { what: "rank change 503/18 temporarily unavailable", client: () => legacy, call: legacyRankWrite, answer: bedev1(503, 18, "The operation is temporarily unavailable. Please try again later.", "PATCH"), kind: "service_unavailable", code: 18 },
  { what: "rank change 429 too many requests", client: () => legacyRateLimited, call: legacyRankWrite, answer: { method: "PATCH", status: 429, body: { errors: [{ code: 0, message: "Too many requests" }] } }, kind: "rate_limited", code: 0 },
  { what: "group 400/1 invalid", client: () => anonymous, call: (c) => c.getGroup(GROUP_ID), answer: bedev1(400, 1, "Group is invalid or does not exist."), kind: "group_not_found", code: 1 },
  { what: "roles 400/1 group invalid", client: () => anonymous, call: (c) => c.listRoles(GROUP_ID), answer: bedev1(400, 1, GROUP_INVALID), kind: "group_not_found", code: 1 },
  { what: "member list 400/1 group invalid", client: () => anonymous, call: (c) => c.roster(GROUP_ID).next(), answer: bedev1(400, 1, GROUP_INVALID), kind: "group_not_found", code: 1 },
  { what: "member list 400/36 cursor invalid", client: () => anonymous, call: (c) => c.roster(GROUP_ID).next(), answer: bedev1(400, 36, "The pagination cursor is invalid."), kind: "invalid_request", code: 36 },
  { what: "member list 403/35 no permission to view", client: () => anonymous, call: (c) => c.roster(GROUP_ID).next(), answer: bedev1(403, 35, "You do not have permission to view this group's member list."), kind: "missing_permission", code: 35 },
  { what: "role members 403/2 roleset invalid", client: () => anonymous, call: (c) => c.roleMembers(GROUP_ID, ROLE.private).next(), answer: bedev1(403, 2, "The roleset is invalid or does not exist."), kind: "role_not_found", code: 2 },
  { what: "role members 400/36 cursor invalid", client: () => anonymous, call: (c) => c.roleMembers(GROUP_ID, ROLE.private).next(), answer: bedev1(400, 36, "The pagination cursor is invalid."), kind: "invalid_request", code: 36 },
  { what: "user's groups 400/3 user invalid", client: () => anonymous, call: (c) => c.getMembership(GROUP_ID, USERS.alice.id), answer: bedev1(400, 3, "The user is invalid or does not exist."), kind: "user_not_found", code: 3 },
  { what: "user 404/3 user id invalid", client: () => anonymous, call: (c) => c.getUserProfile(USERS.alice.id), answer: bedev1(404, 3, "The user id is invalid."), kind: "user_not_found", code: 3 },
  { what: "authenticated user 401/0", client: () => legacy, call: (c) => c.authenticatedUser(), answer: { status: 401, body: { errors: [{ code: 0, message: "Authorization has been denied for this request." }] } }, kind: "invalid_credentials", code: 0 },
  { what: "usernames 400/2 too many", client: () => anonymous, call: (c) => c.usersByUsernames(["Alice"]), answer: bedev1(400, 2, "Too many usernames."), kind: "invalid_request", code: 2 },
];

// Open Cloud: the v2 codes of notes §1.9 and the gateway shape, on lookups and on rank writes.
const openCloudRows: Row[] = [
  { what: "gateway 401 Invalid API Key", client: () => openCloud, call: (c) => c.getGroup(GROUP_ID), answer: { status: 401, body: { errors: [{ code: 0, message: "Invalid API Key" }] } }, kind: "invalid_credentials", code: 0 },
  { what: "group 404 NOT_FOUND", client: () => openCloud, call: (c) => c.getGroup(GROUP_ID), answer: v2(404, "NOT_FOUND", "Group 7 not found."), kind: "group_not_found", code: "NOT_FOUND" },
  { what: "group 403 PERMISSION_DENIED", client: () => openCloud, call: (c) => c.getGroup(GROUP_ID), answer: v2(403, "PERMISSION_DENIED", "The API key is not allowed to access group 7."), kind: "missing_permission", code: "PERMISSION_DENIED" },
  { what: "user 404 NOT_FOUND", client: () => openCloud, call: (c) => c.getUserProfile(USERS.alice.id), answer: v2(404, "NOT_FOUND", "User 10 not found."), kind: "user_not_found", code: "NOT_FOUND" },
  { what: "memberships 400 INVALID_ARGUMENT", client: () => openCloud, call: (c) => c.getMembership(GROUP_ID, USERS.alice.id), answer: v2(400, "INVALID_ARGUMENT", "The provided filter is invalid."), kind: "invalid_request", code: "INVALID_ARGUMENT" },
  { what: "memberships 429 RESOURCE_EXHAUSTED", client: () => openCloud, call: (c) => c.getMembership(GROUP_ID, USERS.alice.id), answer: { ...v2(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."), headers: { "retry-after": "1" } }, kind: "rate_limited", code: "RESOURCE_EXHAUSTED" },
  { what: "roles 409 ABORTED", client: () => openCloud, call: (c) => c.listRoles(GROUP_ID), answer: v2(409, "ABORTED", "Aborted."), kind: "service_unavailable", code: "ABORTED" },
  { what: "roles 499 CANCELLED", client: () => openCloud, call: (c) => c.listRoles(GROUP_ID), answer: v2(499, "CANCELLED", "Cancelled."), kind: "service_unavailable", code: "CANCELLED" },
  { what: "roles 500 INTERNAL", client: () => openCloud, call: (c) => c.listRoles(GROUP_ID), answer: v2(500, "INTERNAL", "Internal error."), kind: "service_unavailable", code: "INTERNAL" },
  { what: "roles 501 NOT_IMPLEMENTED", client: () => openCloud, call: (c) => c.listRoles(GROUP_ID), answer: v2(501, "NOT_IMPLEMENTED", "Not implemented."), kind: "invalid_request", code: "NOT_IMPLEMENTED" },
  { what: "roles 503 UNAVAILABLE", client: () => openCloud, call: (c) => c.listRoles(GROUP_ID), answer: v2(503, "UNAVAILABLE", "Unavailable."), kind: "service_unavailable", code: "UNAVAILABLE" },
  { what: "assignRole 404 not a member", client: () => openCloud, call: cloudRankWrite, answer: v2(404, "NOT_FOUND", "The user is not a member of the group.", "POST", ":assignRole"), kind: "not_in_group", code: "NOT_FOUND" },
  { what: "assignRole 400 role of another group", client: () => openCloud, call: cloudRankWrite, answer: v2(400, "INVALID_ARGUMENT", "Invalid role: groups/7/roles/7007 is not a role of group 7.", "POST", ":assignRole"), kind: "role_not_found", code: "INVALID_ARGUMENT" },
  { what: "assignRole 400 Owner role", client: () => openCloud, call: cloudRankWrite, answer: v2(400, "INVALID_ARGUMENT", "The Owner role cannot be assigned.", "POST", ":assignRole"), kind: "role_not_assignable", code: "INVALID_ARGUMENT" },
  { what: "assignRole 403 own rank", client: () => openCloud, call: cloudRankWrite, answer: v2(403, "PERMISSION_DENIED", "You cannot change your own rank.", "POST", ":assignRole"), kind: "cannot_change_own_rank", code: "PERMISSION_DENIED" },
  { what: "assignRole 403 the owner's rank", client: () => openCloud, call: cloudRankWrite, answer: v2(403, "PERMISSION_DENIED", "The rank of the group owner cannot be changed.", "POST", ":assignRole"), kind: "cannot_change_owner_rank", code: "PERMISSION_DENIED" },
  { what: "assignRole 403 missing scope", client: () => openCloud, call: cloudRankWrite, answer: v2(403, "PERMISSION_DENIED", "Insufficient scope: this operation requires the group:write scope.", "POST", ":assignRole"), kind: "missing_permission", code: "PERMISSION_DENIED" },
  { what: "unassignRole 403 rank too low", client: () => openCloud, call: cloudRankWrite, answer: v2(403, "PERMISSION_DENIED", "The requester's rank is not high enough to unassign this role.", "POST", ":unassignRole"), kind: "missing_permission", code: "PERMISSION_DENIED" },
];

describe("every documented error maps to its typed error and user-facing sentence", () => {
  for (const row of [...legacyRows, ...openCloudRows]) {
    test(`${row.what} → ${row.kind}`, async () => {
      rbx.failures.inject(row.answer);
      const error = await row.call(row.client()).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(errorClassByKind[row.kind]);
      expect(error).toBeInstanceOf(RobloxError);
      const typed = error as RobloxError;
      expect(typed.kind).toBe(row.kind);
      expect(typed.status).toBe(row.answer.status);
      expect(typed.code).toBe(row.code);
      expect(typed.userMessage).toMatch(USER_MESSAGES[row.kind]!);
      expect(rbx.failures.pending).toBe(0);
    });
  }

  test("legacy 26 (already that role) is not an error: nothing changed", async () => {
    rbx.failures.inject(bedev1(400, 26, "You cannot change the user's role to the same role.", "PATCH"));
    expect(await legacy.setRank(GROUP_ID, USERS.bob.id, ROLE.sergeant)).toEqual({
      changed: false,
      previousRoleId: ROLE.corporal,
      roleId: ROLE.sergeant,
      unassignedRoleIds: [],
    });
  });
});

describe("the emulator's own refusals arrive typed", () => {
  test("rank writes that must fail are refused before any write is sent", async () => {
    const cases: Array<[() => Promise<unknown>, RobloxErrorKind]> = [
      [() => openCloud.setRank(GROUP_ID, USERS.carol.id, ROLE.corporal), "not_in_group"],
      [() => openCloud.setRank(GROUP_ID, USERS.alice.id, 999_999), "role_not_found"],
      [() => openCloud.setRank(GROUP_ID, USERS.alice.id, ROLE.guest), "role_not_assignable"],
      [() => openCloud.setRank(GROUP_ID, USERS.owner.id, ROLE.general), "cannot_change_owner_rank"],
      [() => anonymous.setRank(GROUP_ID, USERS.alice.id, ROLE.corporal), "no_credentials"],
    ];
    for (const [attempt, kind] of cases) {
      const error = await attempt().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(errorClassByKind[kind]);
    }
    expect(rbx.requests.filter((request) => request.method !== "GET")).toEqual([]);
    await expect(anonymous.setRank(GROUP_ID, USERS.alice.id, ROLE.corporal)).rejects.toMatchObject({
      userMessage: expect.stringMatching(/no Roblox API key or cookie configured/),
    });
  });

  test("the server's answers to writes it refuses", async () => {
    const readOnly = clientFor(rbx, { apiKey: KEYS.readOnly, retry: { maxRetries: 0 } });
    const wrongKey = clientFor(rbx, { apiKey: KEYS.unknown });
    const cases: Array<[() => Promise<unknown>, RobloxErrorKind]> = [
      // The key's and the cookie's account is the bot itself.
      [() => openCloud.setRank(GROUP_ID, USERS.bot.id, ROLE.general), "cannot_change_own_rank"],
      [() => legacy.setRank(GROUP_ID, USERS.bot.id, ROLE.general), "cannot_change_own_rank"],
      [() => readOnly.setRank(GROUP_ID, USERS.bob.id, ROLE.sergeant), "missing_permission"],
      [() => openCloud.getUserProfile(424_242), "user_not_found"],
      [() => anonymous.getUserProfile(424_242), "user_not_found"],
      [() => openCloud.getGroup(424_242), "group_not_found"],
      [() => anonymous.getGroup(424_242), "group_not_found"],
      [() => wrongKey.getGroup(GROUP_ID), "invalid_credentials"],
    ];
    for (const [attempt, kind] of cases) {
      const error = await attempt().catch((caught: unknown) => caught);
      expect({ kind: (error as RobloxError).kind }).toEqual({ kind });
    }
    await Promise.all([readOnly.close(), wrongKey.close()]);
  });
});
