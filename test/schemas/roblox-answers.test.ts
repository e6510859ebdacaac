/**
 * Every Roblox answer the bot reads, checked at the edge: the example each endpoint's spec gives
 * parses, and the same example with any one required field removed is a typed error naming the
 * endpoint and that field (never an empty list, a zero or Guest).
 */
import { describe, expect, test } from "bun:test";
import type { z } from "zod";
import { parseAnswer, RobloxMalformedAnswerError } from "../../src/roblox/schemas.ts";
import * as wire from "../../src/roblox/wire.ts";
import { auditLogPage } from "../../src/roblox/audit-log-schema.ts";
import { caught, hasField, requiredFieldPaths, specExample, withoutField } from "../support/spec-examples.ts";

const SPEC = "roblox-openapi.subset.json";

const ENDPOINTS: { method: string; path: string; schema: z.ZodType }[] = [
  { method: "GET", path: "/cloud/v2/groups/{group_id}", schema: wire.cloudGroup },
  { method: "GET", path: "/cloud/v2/groups/{group_id}/roles", schema: wire.cloudRolesPage },
  { method: "GET", path: "/cloud/v2/groups/{group_id}/memberships", schema: wire.cloudMembershipsPage },
  { method: "POST", path: "/cloud/v2/groups/{group_id}/memberships/{membership_id}:assignRole", schema: wire.cloudMembership },
  { method: "POST", path: "/cloud/v2/groups/{group_id}/memberships/{membership_id}:unassignRole", schema: wire.cloudMembership },
  { method: "PATCH", path: "/cloud/v2/groups/{group_id}/memberships/{membership_id}", schema: wire.cloudMembership },
  { method: "GET", path: "/cloud/v2/users/{user_id}", schema: wire.cloudUser },
  { method: "GET", path: "/v1/groups/{groupId}", schema: wire.legacyGroup },
  { method: "GET", path: "/v1/groups/{groupId}/roles", schema: wire.legacyRoles },
  { method: "GET", path: "/v1/groups/{groupId}/users", schema: wire.legacyGroupUsersPage },
  { method: "GET", path: "/v1/groups/{groupId}/roles/{roleSetId}/users", schema: wire.legacyRoleUsersPage },
  { method: "GET", path: "/v2/users/{userId}/groups/roles", schema: wire.legacyUserGroupRoles },
  { method: "POST", path: "/v1/usernames/users", schema: wire.legacyUsernames },
  { method: "GET", path: "/v1/users/{userId}", schema: wire.legacyUser },
  { method: "GET", path: "/v1/users/authenticated", schema: wire.legacyAuthenticatedUser },
  { method: "GET", path: "/v1/groups/{groupId}/membership", schema: wire.legacyOwnMembership },
  { method: "GET", path: "/legacy-groups/v1/groups/{groupId}/audit-log", schema: auditLogPage },
];

describe("Roblox answers are parsed at the edge", () => {
  for (const { method, path, schema } of ENDPOINTS) {
    const endpoint = `${method} ${path}`;
    const example = specExample(SPEC, method, path);

    test(`${endpoint}: the spec's example parses`, () => {
      expect(() => parseAnswer(endpoint, 200, JSON.stringify(example), schema)).not.toThrow();
    });

    const required = requiredFieldPaths(schema);
    test(`${endpoint}: every field the bot requires is in the spec's answer`, () => {
      expect(required.filter((field) => !hasField(example, field))).toEqual([]);
    });

    for (const field of required) {
      test(`${endpoint}: without "${field}" it is a typed error naming the endpoint and the field`, () => {
        const error = caught(() => parseAnswer(endpoint, 200, JSON.stringify(withoutField(example, field)), schema));
        expect(error).toBeInstanceOf(RobloxMalformedAnswerError);
        const malformed = error as RobloxMalformedAnswerError;
        expect(malformed.endpoint).toBe(endpoint);
        expect(malformed.field).toBe(field);
        expect(malformed.message).toContain(`"${field}" is missing`);
        expect(malformed.retryable).toBe(true);
      });
    }
  }

  test("the lists a page is made of are required: a page without them is not an empty page", () => {
    const required = requiredFieldPaths(wire.cloudMembershipsPage);
    expect(required).toContain("groupMemberships");
    expect(requiredFieldPaths(wire.cloudRolesPage)).toContain("groupRoles");
  });

  test("a truncated body is a typed error that names the endpoint, not a parse crash", () => {
    const error = caught(() => parseAnswer("GET apis/x", 200, '{"groupMemberships":[{"path":"gro', wire.cloudMembershipsPage));
    expect(error).toBeInstanceOf(RobloxMalformedAnswerError);
    expect((error as RobloxMalformedAnswerError).field).toBeNull();
    expect((error as RobloxMalformedAnswerError).message).toContain("GET apis/x: HTTP 200 body is not JSON");
  });

  test("a membership's roles[] is required and never empty: missing or [] is an error, not 'holds no other role'", () => {
    const membership = { path: "groups/7/memberships/NQ", user: "users/5", role: "groups/7/roles/9" };
    const missing = caught(() => parseAnswer("GET m", 200, JSON.stringify({ groupMemberships: [membership] }), wire.cloudMembershipsPage));
    expect((missing as RobloxMalformedAnswerError).field).toBe("groupMemberships.0.roles");
    const empty = caught(() => parseAnswer("GET m", 200, JSON.stringify({ groupMemberships: [{ ...membership, roles: [] }] }), wire.cloudMembershipsPage));
    expect((empty as RobloxMalformedAnswerError).field).toBe("groupMemberships.0.roles");
    expect((empty as RobloxMalformedAnswerError).retryable).toBe(true);
  });

  test("a mistyped field is named too (a role path that is not one)", () => {
    const page = { groupMemberships: [{ path: "groups/7/memberships/x", user: "users/5", role: "Guest" }], nextPageToken: "" };
    const error = caught(() => parseAnswer("GET m", 200, JSON.stringify(page), wire.cloudMembershipsPage)) as RobloxMalformedAnswerError;
    expect(error.field).toBe("groupMemberships.0.role");
    expect(error.message).toContain("is invalid");
  });
});
