import { z } from "zod";

/**
 * The shapes of Roblox's answers, only the fields the bot reads. Parsing through these turns a
 * changed or broken answer into a typed error instead of `undefined` deep inside a feature.
 */

const optionalString = z.string().nullish();
/** Open Cloud says "empty or omitted" at the end of pages; some answers use null. */
const pageToken = z.string().nullish().transform((token) => (token ? token : null));

// Open Cloud v2 (apis.roblox.com/cloud/v2)

export const cloudGroup = z.object({
  id: z.string(),
  displayName: z.string(),
  description: optionalString,
  owner: optionalString,
  memberCount: z.number().int(),
});

export const cloudRole = z.object({
  id: z.string(),
  displayName: z.string(),
  rank: z.number().int(),
  memberCount: z.number().int().nullish(),
  permissions: z.record(z.string(), z.boolean()).nullish(),
});

// The list fields are required: a page without them is broken, not empty (an empty result is `[]`).
export const cloudRolesPage = z.object({
  groupRoles: z.array(cloudRole),
  nextPageToken: pageToken,
});

/** Resource paths the bot takes ids from: checked here so a bad one names its field. */
const userPath = z.string().regex(/^users\/\d+$/, "expected users/{id}");
const rolePath = z.string().regex(/^groups\/\d+\/roles\/\d+$/, "expected groups/{id}/roles/{id}");

/**
 * Since multi-role membership (2026-03-31) `role` is only the highest role held and `roles` is
 * every role held ("always contains the complete set"). Both are required: a membership without
 * `roles`, or with none, is a broken answer, never "holds no other role".
 */
export const cloudMembership = z.object({
  path: z.string(),
  user: userPath,
  role: rolePath,
  roles: z.array(rolePath).min(1, "is an empty list (a member always holds the base role)"),
});

export const cloudMembershipsPage = z.object({
  groupMemberships: z.array(cloudMembership),
  nextPageToken: pageToken,
});

export const cloudUser = z.object({
  id: z.string(),
  name: z.string(),
  displayName: optionalString,
  about: optionalString,
});

// Legacy web APIs (groups.roblox.com, users.roblox.com)

export const legacyGroup = z.object({
  id: z.number().int(),
  name: z.string(),
  description: optionalString,
  owner: z.object({ userId: z.number().int() }).nullish(),
  memberCount: z.number().int(),
});

export const legacyRole = z.object({
  id: z.number().int(),
  name: z.string(),
  rank: z.number().int(),
  memberCount: z.number().int().nullish(),
  isBase: z.boolean().nullish(),
});

export const legacyRoles = z.object({ roles: z.array(legacyRole) });

const legacyRoleRef = z.object({ id: z.number().int(), name: z.string(), rank: z.number().int() });

export const legacyGroupUsersPage = z.object({
  nextPageCursor: pageToken,
  data: z.array(z.object({ user: z.object({ userId: z.number().int() }), role: legacyRoleRef })),
});

export const legacyRoleUsersPage = z.object({
  nextPageCursor: pageToken,
  data: z.array(z.object({ userId: z.number().int() })),
});

export const legacyUserGroupRoles = z.object({
  data: z.array(z.object({ group: z.object({ id: z.number().int() }), role: legacyRoleRef })),
});

export const legacyUsernames = z.object({
  data: z.array(
    z.object({
      requestedUsername: optionalString,
      id: z.number().int(),
      name: z.string(),
      displayName: optionalString,
    }),
  ),
});

export const legacyUser = z.object({
  id: z.number().int(),
  name: z.string(),
  displayName: optionalString,
  description: optionalString,
});

export const legacyAuthenticatedUser = z.object({
  id: z.number().int(),
  name: z.string(),
  displayName: optionalString,
});

export const legacyOwnMembership = z.object({
  userRole: z.object({ role: legacyRoleRef.nullish() }).nullish(),
  permissions: z
    .object({ groupMembershipPermissions: z.object({ changeRank: z.boolean().nullish() }).nullish() })
    .nullish(),
});

export const emptyObject = z.object({});
