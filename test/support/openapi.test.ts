import { describe, expect, test } from "bun:test";
import { createOpenApiValidator, discordValidator, robloxValidator, type RecordedHttpRequest, type RequestValidation } from "./openapi.ts";

const BOT = { authorization: "Bot test-token" };
const API_KEY = { "x-api-key": "test-key" };
const COOKIE = { cookie: ".ROBLOSECURITY=_|WARNING|test" };
const APP = "1100000000000000001";
const GUILD = "1100000000000000002";
const USER = "1100000000000000003";
const ROLE = "1100000000000000004";

/** Asserts the request is valid and returns the result (so the matched operation can be checked). */
function expectOk(result: RequestValidation): RequestValidation {
  expect(result.errors).toEqual([]);
  expect(result.ok).toBe(true);
  return result;
}

/** Asserts the request is invalid and that one of the errors contains each fragment. */
function expectErrors(result: RequestValidation, ...fragments: string[]): RequestValidation {
  expect(result.ok).toBe(false);
  for (const f of fragments) expect(result.errors.some((e) => e.includes(f)), `no error contains ${JSON.stringify(f)} in ${JSON.stringify(result.errors)}`).toBe(true);
  return result;
}

describe("discordValidator", () => {
  const discord = discordValidator();
  const v = (req: RecordedHttpRequest) => discord.validate(req);

  describe("routing", () => {
    test("matches a templated path and strips /api/v10", () => {
      const r = expectOk(v({ method: "PUT", url: `/api/v10/guilds/${GUILD}/members/${USER}/roles/${ROLE}`, headers: BOT }));
      expect(r.operationId).toBe("add_guild_member_role");
      expect(r.pathTemplate).toBe("/guilds/{guild_id}/members/{user_id}/roles/{role_id}");
    });

    test("accepts full URLs, whatever the host (emulator or discord.com)", () => {
      expect(expectOk(v({ method: "GET", url: `https://discord.com/api/v10/guilds/${GUILD}/members/${USER}`, headers: BOT })).operationId).toBe("get_guild_member");
      expect(expectOk(v({ method: "GET", url: `http://127.0.0.1:4010/api/v10/guilds/${GUILD}/members/${USER}`, headers: BOT })).operationId).toBe("get_guild_member");
    });

    test("unknown path", () => {
      const r = expectErrors(v({ method: "GET", url: "/api/v10/guilds/1/nonsense", headers: BOT }), "no operation for GET /api/v10/guilds/1/nonsense");
      expect(r.operationId).toBeUndefined();
    });

    test("known path, undocumented method lists the allowed ones", () => {
      expectErrors(v({ method: "POST", url: `/api/v10/guilds/${GUILD}/members/${USER}`, headers: BOT }), "no operation for POST", "allows GET, PUT, DELETE, PATCH");
    });

    test("a path without the /api/v10 prefix does not match", () => {
      expectErrors(v({ method: "GET", url: `/guilds/${GUILD}/members/${USER}`, headers: BOT }), "no operation for GET", "https://discord.com/api/v10");
      expectErrors(v({ method: "GET", url: `/api/v9/guilds/${GUILD}/members/${USER}`, headers: BOT }), "no operation for GET");
    });

    test("literal segments beat templated ones", () => {
      expect(expectOk(v({ method: "GET", url: "/api/v10/users/@me", headers: BOT })).operationId).toBe("get_my_user");
      expect(expectOk(v({ method: "GET", url: `/api/v10/users/${USER}`, headers: BOT })).operationId).toBe("get_user");
    });
  });

  describe("path parameters", () => {
    test("snowflake pattern", () => {
      expectErrors(v({ method: "GET", url: `/api/v10/guilds/not-a-snowflake/members/${USER}`, headers: BOT }), 'path parameter "guild_id" must match pattern');
      expectErrors(v({ method: "GET", url: `/api/v10/guilds/${GUILD}/members/0123`, headers: BOT }), 'path parameter "user_id" must match pattern');
    });
  });

  describe("query parameters", () => {
    const members = `/api/v10/guilds/${GUILD}/members`;
    test("integer with minimum/maximum", () => {
      expectOk(v({ method: "GET", url: `${members}?limit=1000&after=0`, headers: BOT }));
      expectErrors(v({ method: "GET", url: `${members}?limit=1001`, headers: BOT }), 'query parameter "limit" must be <= 1000');
      expectErrors(v({ method: "GET", url: `${members}?limit=0`, headers: BOT }), 'query parameter "limit" must be >= 1');
      expectErrors(v({ method: "GET", url: `${members}?limit=ten`, headers: BOT }), 'query parameter "limit" must be integer');
    });

    test("unknown and duplicated parameters", () => {
      expectErrors(v({ method: "GET", url: `${members}?limit=10&offset=5`, headers: BOT }), 'unknown query parameter "offset"');
      expectErrors(v({ method: "GET", url: `${members}?limit=10&limit=20`, headers: BOT }), 'query parameter "limit" given 2 times');
    });

    test("boolean", () => {
      expectOk(v({ method: "GET", url: `/api/v10/applications/${APP}/commands?with_localizations=true`, headers: BOT }));
      expectErrors(v({ method: "GET", url: `/api/v10/applications/${APP}/commands?with_localizations=yes`, headers: BOT }), 'query parameter "with_localizations" must be boolean');
    });

    test("repeated keys make an array (form, explode)", () => {
      const search = `/api/v10/guilds/${GUILD}/messages/search`;
      expectOk(v({ method: "GET", url: `${search}?author_id=${USER}&author_id=${ROLE}`, headers: BOT }));
      expectErrors(v({ method: "GET", url: `${search}?author_id=${USER}&author_id=bob`, headers: BOT }), 'query parameter "author_id"/1 must match pattern');
    });
  });

  describe("request bodies", () => {
    const commands = `/api/v10/applications/${APP}/commands`;
    const link = { name: "link", description: "Link your Roblox account", type: 1, options: [{ type: 3, name: "username", description: "Roblox username", required: true }] };

    test("PUT /applications/{id}/commands: valid bulk overwrite", () => {
      const r = expectOk(v({ method: "PUT", url: commands, headers: BOT, body: [link, { name: "sync", description: "Resync roles" }] }));
      expect(r.operationId).toBe("bulk_set_application_commands");
    });

    test("PUT /applications/{id}/commands: description over 100 characters", () => {
      const r = expectErrors(v({ method: "PUT", url: commands, headers: BOT, body: [{ ...link, description: "x".repeat(101) }] }), "body/0/description must NOT have more than 100 characters");
      expect(r.errors).toHaveLength(1);
    });

    test("PUT /applications/{id}/commands: name over 32 characters, missing name, bad option type", () => {
      expectErrors(v({ method: "PUT", url: commands, headers: BOT, body: [{ ...link, name: "n".repeat(33) }] }), "body/0/name must NOT have more than 32 characters");
      expectErrors(v({ method: "PUT", url: commands, headers: BOT, body: [{ description: "nameless" }] }), 'body/0 is missing required property "name"');
      expectErrors(v({ method: "PUT", url: commands, headers: BOT, body: { name: "link" } }), "body must be array,null");
    });

    test("spec gap: Discord's lowercase rule for CHAT_INPUT names is not in the OpenAPI document", () => {
      // Discord rejects "Link" at runtime (names must be lowercase), but the schema only says
      // string, 1..32 characters. Pinned so that a spec that starts encoding it is noticed.
      expectOk(v({ method: "PUT", url: commands, headers: BOT, body: [{ ...link, name: "Link" }] }));
    });

    test("PATCH /guilds/{g}/members/{u} roles", () => {
      const url = `/api/v10/guilds/${GUILD}/members/${USER}`;
      expect(expectOk(v({ method: "PATCH", url, headers: BOT, body: { roles: [ROLE, "1100000000000000005"] } })).operationId).toBe("update_guild_member");
      expectErrors(v({ method: "PATCH", url, headers: BOT, body: { roles: [ROLE, 1100] } }), "body/roles/1 must be string");
      expectErrors(v({ method: "PATCH", url, headers: BOT, body: { roles: [ROLE, ROLE] } }), "body/roles must NOT have duplicate items");
      expectErrors(v({ method: "PATCH", url, headers: BOT, body: { nick: "n".repeat(33) } }), "body/nick must NOT have more than 32 characters");
    });

    test("POST /interactions/{id}/{token}/callback deferred ephemeral reply, no auth needed", () => {
      const url = `/api/v10/interactions/${USER}/aW50ZXJhY3Rpb246dG9rZW4/callback`;
      const r = expectOk(v({ method: "POST", url, body: { type: 5, data: { flags: 64 } } }));
      expect(r.operationId).toBe("create_interaction_response");
      expectErrors(v({ method: "POST", url, body: { type: 99 } }), "body must match a schema in anyOf");
      expectErrors(v({ method: "POST", url, body: { type: 5, data: { flags: "ephemeral" } } }), "body/data/flags must be integer,null");
      expectErrors(v({ method: "POST", url }), "missing required request body");
    });

    test("PATCH /webhooks/{app}/{token}/messages/%40original (percent-encoded @), no auth needed", () => {
      const url = `/api/v10/webhooks/${APP}/aW50ZXJhY3Rpb246dG9rZW4/messages/%40original`;
      const r = expectOk(v({ method: "PATCH", url, body: { content: "Linked to Builderman", flags: 64 } }));
      expect(r.operationId).toBe("update_original_webhook_message");
      expect(r.pathTemplate).toBe("/webhooks/{webhook_id}/{webhook_token}/messages/@original");
      expectErrors(v({ method: "PATCH", url, body: { content: "x".repeat(2001) } }), "body/content must NOT have more than 2000 characters");
      // Unencoded "@original" routes to the same operation.
      expect(expectOk(v({ method: "PATCH", url: url.replace("%40", "@"), body: { content: "ok" } })).operationId).toBe("update_original_webhook_message");
    });

    test("a body sent to an operation that documents none", () => {
      expectErrors(v({ method: "PUT", url: `/api/v10/guilds/${GUILD}/members/${USER}/roles/${ROLE}`, headers: BOT, body: {} }), "documents no request body");
    });

    test("content types: JSON is schema-checked, other documented types only warn, undocumented ones fail", () => {
      const url = `/api/v10/webhooks/${APP}/tok/messages/@original`;
      const multipart = expectOk(v({ method: "PATCH", url, body: { content: "x".repeat(5000) }, contentType: "multipart/form-data; boundary=x" }));
      expect(multipart.warnings.some((w) => w.includes("multipart/form-data not schema-checked"))).toBe(true);
      expectErrors(v({ method: "PATCH", url, body: "hi", contentType: "text/plain" }), 'unsupported content type "text/plain"');
      expectErrors(v({ method: "PATCH", url, body: { content: "x".repeat(2001) }, headers: { "Content-Type": "application/json; charset=utf-8" } }), "body/content");
    });
  });

  describe("auth", () => {
    const url = `/api/v10/guilds/${GUILD}/members/${USER}/roles/${ROLE}`;
    test("bot routes need Authorization: Bot", () => {
      expectOk(v({ method: "DELETE", url, headers: { Authorization: "Bot abc" } }));
      expectErrors(v({ method: "DELETE", url }), "missing auth: DELETE /guilds/{guild_id}/members/{user_id}/roles/{role_id} requires Authorization: Bot <token>");
      expectErrors(v({ method: "DELETE", url, headers: { authorization: "Bearer abc" } }), "missing auth", "(got Authorization: Bearer …)");
      expectErrors(v({ method: "DELETE", url, headers: { authorization: "abc" } }), "missing auth");
    });

    test("routes with a Bot-or-OAuth2 alternative accept either", () => {
      expectOk(v({ method: "GET", url: `/api/v10/applications/${APP}/commands`, headers: { authorization: "Bearer abc" } }));
      expectErrors(v({ method: "GET", url: `/api/v10/applications/${APP}/commands` }), "requires one of: Authorization: Bot <token>, Authorization: Bearer <token>");
    });
  });

  test("assertValid throws with every problem listed, and is silent when valid", () => {
    expect(() => discord.assertValid({ method: "PATCH", url: `/api/v10/guilds/${GUILD}/members/${USER}`, headers: BOT, body: { roles: [ROLE] } })).not.toThrow();
    let message = "";
    try {
      discord.assertValid({ method: "PATCH", url: `/api/v10/guilds/x/members/${USER}?reason=1`, body: { roles: [1] } });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain("update_guild_member");
    expect(message).toContain('path parameter "guild_id"');
    expect(message).toContain('unknown query parameter "reason"');
    expect(message).toContain("body/roles/0 must be string");
    expect(message).toContain("missing auth");
    expect(() => discord.assertValid({ method: "GET", url: "/api/v10/nope" })).toThrow("no operation for GET /api/v10/nope");
  });
});

describe("robloxValidator", () => {
  const roblox = robloxValidator();
  const v = (req: RecordedHttpRequest) => roblox.validate(req);

  describe("routing by emulator service prefix", () => {
    test("/apis → apis.roblox.com Open Cloud", () => {
      const filter = encodeURIComponent("user == 'users/2'");
      const r = expectOk(v({ method: "GET", url: `/apis/cloud/v2/groups/1/memberships?maxPageSize=100&filter=${filter}&pageToken=abc`, headers: API_KEY }));
      expect(r.operationId).toBe("Cloud_ListGroupMemberships");
      expect(r.pathTemplate).toBe("/cloud/v2/groups/{group_id}/memberships");
      expect(r.server).toBe("https://apis.roblox.com");
    });

    test("legacy operations only match on their own host", () => {
      const r = expectOk(v({ method: "GET", url: "/groups/v1/groups/1" }));
      expect(r.pathTemplate).toBe("/v1/groups/{groupId}");
      expect(r.server).toBe("https://groups.roblox.com");
      expect(r.operationId).toBeUndefined(); // legacy operations carry no operationId
      expectErrors(v({ method: "GET", url: "/users/v1/groups/1" }), "no operation for GET /users/v1/groups/1", "documented only on https://groups.roblox.com");
      expectErrors(v({ method: "GET", url: "/apis/v1/groups/1" }), "no operation for GET /apis/v1/groups/1");
    });

    test("a real roblox.com URL is routed by its host", () => {
      expect(expectOk(v({ method: "GET", url: "https://groups.roblox.com/v1/groups/1/roles" })).pathTemplate).toBe("/v1/groups/{groupId}/roles");
      expectErrors(v({ method: "GET", url: "https://users.roblox.com/v1/groups/1/roles" }), "no operation for GET");
    });

    test("unknown path and unknown service", () => {
      expectErrors(v({ method: "GET", url: "/groups/v1/groups/1/wall/posts" }), "no operation for GET /groups/v1/groups/1/wall/posts");
      expectErrors(v({ method: "GET", url: "/economy/v1/groups/1/currency" }), "no operation for GET /economy/v1/groups/1/currency", "economy.roblox.com");
      expectErrors(v({ method: "DELETE", url: "/apis/cloud/v2/groups/1/memberships", headers: API_KEY }), "no operation for DELETE", "allows GET");
    });

    test(":customMethod segments beat the bare template", () => {
      expect(expectOk(v({ method: "GET", url: "/apis/cloud/v2/users/1:generateThumbnail?shape=ROUND&size=420", headers: API_KEY })).operationId).toBe("Cloud_GenerateUserThumbnail");
      expect(expectOk(v({ method: "GET", url: "/apis/cloud/v2/users/1", headers: API_KEY })).operationId).toBe("Cloud_GetUser");
      expectErrors(v({ method: "GET", url: "/apis/cloud/v2/users/1:generateThumbnail?shape=OVAL", headers: API_KEY }), 'query parameter "shape" must be one of ["SHAPE_UNSPECIFIED","ROUND","SQUARE"]');
    });
  });

  describe("parameters", () => {
    test("int64 path parameters on legacy routes", () => {
      expectErrors(v({ method: "GET", url: "/groups/v1/groups/abc/roles" }), 'path parameter "groupId" must be integer');
      expectErrors(v({ method: "GET", url: "/groups/v1/groups/1.5/roles" }), 'path parameter "groupId" must be integer');
    });

    test("Open Cloud query types and unknown names", () => {
      expectErrors(v({ method: "GET", url: "/apis/cloud/v2/groups/1/memberships?maxPageSize=lots", headers: API_KEY }), 'query parameter "maxPageSize" must be integer');
      expectErrors(v({ method: "GET", url: "/apis/cloud/v2/groups/1/memberships?limit=100", headers: API_KEY }), 'unknown query parameter "limit"');
    });

    test("legacy enum: limit must be 10, 25, 50 or 100", () => {
      expectOk(v({ method: "GET", url: "/groups/v1/groups/1/users?limit=100&sortOrder=Desc&cursor=abc" }));
      expectErrors(v({ method: "GET", url: "/groups/v1/groups/1/users?limit=7" }), 'query parameter "limit" must be one of [10,25,50,100]');
      expectErrors(v({ method: "GET", url: "/groups/v1/groups/1/roles/5/users?sortOrder=Up" }), 'query parameter "sortOrder" must be one of ["Asc","Desc"]');
    });

    test("CSV array (explode: false) and string-typed boolean enum", () => {
      const url = "/thumbnails/v1/users/avatar-headshot";
      expectOk(v({ method: "GET", url: `${url}?userIds=1,2,3&size=48x48&format=Png&isCircular=true` }));
      expectErrors(v({ method: "GET", url: `${url}?userIds=1,abc` }), 'query parameter "userIds"/1 must be integer');
      expectErrors(v({ method: "GET", url: `${url}?userIds=1&isCircular=yes` }), 'query parameter "isCircular" must be boolean');
      expectErrors(v({ method: "GET", url: `${url}?userIds=1&size=64x64` }), 'query parameter "size" must be one of');
      expectErrors(v({ method: "GET", url: `${url}?size=48x48` }), 'missing required query parameter "userIds"');
    });

    test("GET /v2/users/{userId}/groups/roles: documented-required query params are only warnings by default", () => {
      const url = "/groups/v2/users/2/groups/roles";
      const r = expectOk(v({ method: "GET", url }));
      expect(r.warnings).toHaveLength(3);
      expect(r.warnings[0]).toContain('missing required query parameter "includeLocked"');
      expectOk(v({ method: "GET", url: `${url}?includeLocked=true&includeNotificationPreferences=false&discoveryType=0` }));
      // Present values are still type-checked.
      expectErrors(v({ method: "GET", url: `${url}?discoveryType=3` }), 'query parameter "discoveryType" must be one of [0,1,2]');
      // Strict when the lenient list is emptied; other operations stay strict by default.
      expectErrors(robloxValidator({ lenientRequiredQuery: [] }).validate({ method: "GET", url }), 'missing required query parameter "includeLocked"');
      expectErrors(v({ method: "GET", url: "/groups/v1/groups/1/membership", headers: COOKIE }), 'missing required query parameter "includeNotificationPreferences"');
    });
  });

  describe("request bodies", () => {
    test("POST ...:assignRole {role}", () => {
      const url = "/apis/cloud/v2/groups/1/memberships/2:assignRole";
      expect(expectOk(v({ method: "POST", url, headers: API_KEY, body: { role: "groups/1/roles/3" } })).operationId).toBe("Cloud_AssignRoleGroupMembership");
      expectErrors(v({ method: "POST", url, headers: API_KEY, body: {} }), 'body is missing required property "role"');
      expectErrors(v({ method: "POST", url, headers: API_KEY, body: { role: 3 } }), "body/role must be string");
      expectErrors(v({ method: "POST", url, headers: API_KEY }), "missing required request body");
    });

    test("PATCH Open Cloud membership: readOnly fields must not be sent", () => {
      const url = "/apis/cloud/v2/groups/1/memberships/2";
      expectOk(v({ method: "PATCH", url, headers: API_KEY, body: { role: "groups/1/roles/3" } }));
      expectErrors(v({ method: "PATCH", url, headers: API_KEY, body: { role: "groups/1/roles/3", roles: ["groups/1/roles/3"] } }), "body/roles is readOnly");
    });

    test("PATCH /groups/v1/groups/{g}/users/{u} {roleId}", () => {
      const url = "/groups/v1/groups/1/users/2";
      expect(expectOk(v({ method: "PATCH", url, headers: COOKIE, body: { roleId: 3 } })).pathTemplate).toBe("/v1/groups/{groupId}/users/{userId}");
      expectErrors(v({ method: "PATCH", url, headers: COOKIE, body: { roleId: "3" } }), "body/roleId must be integer");
      expectErrors(v({ method: "PATCH", url, headers: COOKIE, body: { roleId: 3, rank: 255 } }), 'body has unknown property "rank"');
      // text/json is documented too; text/plain is not.
      expectOk(v({ method: "PATCH", url, headers: COOKIE, body: { roleId: 3 }, contentType: "text/json" }));
      expectErrors(v({ method: "PATCH", url, headers: COOKIE, body: { roleId: 3 }, contentType: "text/plain" }), 'unsupported content type "text/plain"');
    });

    test("POST /users/v1/usernames/users", () => {
      const url = "/users/v1/usernames/users";
      expectOk(v({ method: "POST", url, body: { usernames: ["Builderman"], excludeBannedUsers: true } }));
      expectErrors(v({ method: "POST", url, body: { usernames: "Builderman" } }), "body/usernames must be array");
      expectErrors(v({ method: "POST", url, body: { usernames: ["a"], userIds: [1] } }), 'body has unknown property "userIds"');
      expectErrors(v({ method: "POST", url: "/users/v1/users", body: { userIds: Array.from({ length: 201 }, (_, i) => i + 1) } }), "body/userIds must NOT have more than 200 items");
    });
  });

  describe("auth", () => {
    test("Open Cloud needs x-api-key (or OAuth2 bearer)", () => {
      const url = "/apis/cloud/v2/groups/1/roles";
      expectOk(v({ method: "GET", url, headers: API_KEY }));
      expectOk(v({ method: "GET", url, headers: { Authorization: "Bearer oauth-token" } }));
      expectErrors(v({ method: "GET", url }), "missing auth: GET /cloud/v2/groups/{group_id}/roles requires one of: x-api-key header, Authorization: Bearer <token>");
      expectErrors(v({ method: "GET", url, headers: { "x-api-key": "" } }), "missing auth");
    });

    test("legacy routes with an anonymous option need nothing; cookie-only ones need .ROBLOSECURITY", () => {
      expectOk(v({ method: "GET", url: "/groups/v1/groups/1/roles" }));
      expectOk(v({ method: "DELETE", url: "/groups/v1/groups/1/users/2", headers: COOKIE }));
      // An Open Cloud API key does not satisfy the cookie-only legacy operation.
      expectErrors(v({ method: "DELETE", url: "/groups/v1/groups/1/users/2", headers: API_KEY }), "missing auth: DELETE /v1/groups/{groupId}/users/{userId} requires .ROBLOSECURITY cookie");
      expectErrors(v({ method: "DELETE", url: "/groups/v1/groups/1/users/2", headers: { cookie: "other=1" } }), "requires .ROBLOSECURITY cookie");
    });
  });

  test("assertValid lists all problems", () => {
    expect(() => roblox.assertValid({ method: "GET", url: "/groups/v1/groups/1/users?limit=25" })).not.toThrow();
    expect(() => roblox.assertValid({ method: "PATCH", url: "/groups/v1/groups/x/users/2", body: { roleId: "3" } })).toThrow(
      /PATCH \/v1\/groups\/\{groupId\}\/users\/\{userId\}[\s\S]*path parameter "groupId" must be integer[\s\S]*body\/roleId must be integer[\s\S]*missing auth/,
    );
  });
});

describe("createOpenApiValidator (OpenAPI 3.0 specifics)", () => {
  const validator = createOpenApiValidator({
    name: "inline",
    document: {
      openapi: "3.0.3",
      servers: [{ url: "https://example.test/base" }],
      paths: {
        "/things/{id}": {
          patch: {
            operationId: "patchThing",
            deprecated: true,
            parameters: [{ $ref: "#/components/parameters/Id" }],
            requestBody: { $ref: "#/components/requestBodies/Thing" },
          },
        },
      },
      components: {
        parameters: { Id: { name: "id", in: "path", required: true, schema: { type: "integer", minimum: 1, exclusiveMinimum: true } } },
        requestBodies: { Thing: { required: true, content: { "application/json": { schema: { $ref: "#/components/schemas/Thing" } } } } },
        schemas: {
          Thing: {
            type: "object",
            properties: {
              label: { type: "string", nullable: true },
              owner: { nullable: true, allOf: [{ $ref: "#/components/schemas/Owner" }] },
            },
            additionalProperties: false,
          },
          Owner: { type: "object", required: ["name"], properties: { name: { type: "string" } } },
        },
      },
    },
  });

  test("nullable (with and without type), $ref'd parameters/requestBodies, server base path", () => {
    const r = expectOk(validator.validate({ method: "PATCH", url: "/base/things/2", body: { label: null, owner: null } }));
    expect(r.operationId).toBe("patchThing");
    expect(r.warnings).toContain("PATCH /things/{id} is deprecated");
    expectOk(validator.validate({ method: "PATCH", url: "/base/things/2", body: { label: "x", owner: { name: "n" } } }));
    expectErrors(validator.validate({ method: "PATCH", url: "/base/things/2", body: { label: 1 } }), "body/label must be string");
    expectErrors(validator.validate({ method: "PATCH", url: "/base/things/2", body: { owner: {} } }), 'body/owner is missing required property "name"');
    expectErrors(validator.validate({ method: "PATCH", url: "/things/2", body: {} }), "no operation for PATCH /things/2");
  });

  test("boolean exclusiveMinimum (3.0 style)", () => {
    expectErrors(validator.validate({ method: "PATCH", url: "/base/things/1", body: {} }), 'path parameter "id" must be > 1');
  });
});
