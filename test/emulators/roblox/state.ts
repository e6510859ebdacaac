/**
 * The emulator's world: users, groups, roles and memberships, indexed for the access patterns of the
 * APIs (memberships by group in join order, by role, by user; users by id and by name).
 *
 * Multi-role model (DevForum "Assign Multiple Roles per Member", 2026): every member holds the
 * group's base member role (rank 1) plus any assigned roles; the member's rank is that of the
 * highest-ranked role held. Legacy interfaces expose only that highest role.
 */
import { SeqIndex } from "./seq-index.ts";

export const ROLE_PERMISSION_KEYS = [
  "viewWallPosts",
  "createWallPosts",
  "deleteWallPosts",
  "viewGroupShout",
  "createGroupShout",
  "changeRank",
  "acceptRequests",
  "exileMembers",
  "manageRelationships",
  "viewAuditLog",
  "spendGroupFunds",
  "advertiseGroup",
  "createAvatarItems",
  "manageAvatarItems",
  "manageGroupUniverses",
  "viewUniverseAnalytics",
  "createApiKeys",
  "manageApiKeys",
  "banMembers",
  "viewForums",
  "manageCategories",
  "createPosts",
  "lockPosts",
  "pinPosts",
  "removePosts",
  "createComments",
  "removeComments",
  "manageBlockedWords",
  "viewBlockedWords",
  "bypassSlowMode",
] as const;
export type RolePermissionKey = (typeof ROLE_PERMISSION_KEYS)[number];
export type RolePermissions = Record<RolePermissionKey, boolean>;

export const THUMBNAIL_STATES = ["Completed", "InReview", "Pending", "Error", "Moderated", "Blocked"] as const;
export type ThumbnailState = (typeof THUMBNAIL_STATES)[number];

export interface NewUser {
  id: number;
  name: string;
  displayName?: string;
  description?: string;
  /** ISO 8601; default: a fixed date in the past. */
  created?: string;
  isBanned?: boolean;
}

export interface NewRole {
  id: number;
  name: string;
  rank: number;
  description?: string;
  /** Merged over the defaults for the rank (see defaultPermissions). */
  permissions?: Partial<RolePermissions>;
  /** Legacy role colour enum (0-16). Default 1 (Blue). */
  color?: number;
  /** Mark the base member role explicitly (default: the rank-1 role). */
  isBase?: boolean;
}

export interface NewGroup {
  id: number;
  name: string;
  /** Must be an existing user; null for an abandoned group. */
  ownerId: number | null;
  description?: string;
  /** Must include Guest (rank 0) and Owner (rank 255), like every real group. */
  roles: NewRole[];
  publicEntryAllowed?: boolean;
  locked?: boolean;
  verified?: boolean;
  created?: string;
}

export interface UserRecord {
  id: number;
  name: string;
  displayName: string;
  description: string;
  createdMs: number;
  isBanned: boolean;
  previousNames: string[];
  locale: string;
  premium: boolean;
  idVerified: boolean;
  thumbnailState: ThumbnailState;
}

export interface RoleRecord {
  id: number;
  groupId: number;
  name: string;
  rank: number;
  description: string;
  color: number;
  isBase: boolean;
  permissions: RolePermissions;
  createdMs: number;
  updatedMs: number;
  /** Members holding this role, in join order. */
  holders: SeqIndex<MemberRecord>;
}

export interface MemberRecord {
  /** Join order within the group. */
  readonly seq: number;
  readonly groupId: number;
  readonly userId: number;
  /** Roles held, ascending by rank; the last one is the member's rank. */
  roles: RoleRecord[];
  createdMs: number;
  updatedMs: number;
  /** Sub-millisecond digits of `updateTime` (see memberUpdateTime). */
  updateTick: number;
}

export interface GroupRecord {
  id: number;
  name: string;
  description: string;
  ownerId: number | null;
  createdMs: number;
  updatedMs: number;
  publicEntryAllowed: boolean;
  locked: boolean;
  verified: boolean;
  roles: Map<number, RoleRecord>;
  /** Ascending by rank (legacy order). */
  rolesByRank: RoleRecord[];
  /** Ascending by id (Open Cloud order: the recorded page token is the last role id). */
  rolesById: RoleRecord[];
  guestRole: RoleRecord;
  ownerRole: RoleRecord;
  baseRole: RoleRecord | null;
  members: Map<number, MemberRecord>;
  order: SeqIndex<MemberRecord>;
  nextSeq: number;
}

export interface MembershipSnapshot {
  /** The highest-ranked role held. */
  roleId: number;
  rank: number;
  /** Every role held, ascending by rank (the base member role first). */
  roleIds: number[];
}

export interface BulkSeedOptions {
  /** First user id; default: above every existing user id (at least 1,000,000). */
  startUserId?: number;
  /** Usernames are `${namePrefix}${id}`. Default "Player". */
  namePrefix?: string;
  /** Role ids to spread members over (uniformly), or role id → weight. Default: a pyramid over the ranks 1-253. */
  roles?: number[] | Record<number, number>;
  /** PRNG seed for the role choice. Default: the group id. */
  seed?: number;
}

const USERNAME = /^[A-Za-z0-9_]{3,20}$/;
const DEFAULT_CREATED_MS = Date.parse("2019-06-01T12:00:00.000Z");
const MANAGER_PERMISSIONS: Partial<RolePermissions> = {
  deleteWallPosts: true,
  createGroupShout: true,
  changeRank: true,
  acceptRequests: true,
  exileMembers: true,
  viewAuditLog: true,
  banMembers: true,
  manageCategories: true,
  lockPosts: true,
  pinPosts: true,
  removePosts: true,
  removeComments: true,
  manageBlockedWords: true,
  viewBlockedWords: true,
  bypassSlowMode: true,
};

/**
 * Permissions of a role that does not say otherwise: Guest can view; members can view and post;
 * rank 254 (the "Admin" role every new group gets) can also manage members; Owner can do all.
 */
export function defaultPermissions(rank: number): RolePermissions {
  const permissions = Object.fromEntries(ROLE_PERMISSION_KEYS.map((key) => [key, rank === 255])) as RolePermissions;
  permissions.viewWallPosts = permissions.viewGroupShout = permissions.viewForums = true;
  if (rank >= 1) permissions.createWallPosts = permissions.createPosts = permissions.createComments = true;
  if (rank >= 254) Object.assign(permissions, MANAGER_PERMISSIONS);
  return permissions;
}

/**
 * A realistic military-style ladder for `groupId`: Guest 0, Recruit 1 (base member role), enlisted
 * and officer ranks, Colonel 200 and General 250 (may change ranks), "Ranking Bot" 254 (the role an
 * API-key or cookie account would hold) and Owner 255. Role ids are `groupId * 1000 + n`, created in
 * the order a real group gets them (Owner, Admin, Member, Guest first), so they say nothing about rank.
 */
export function defaultRoles(groupId: number): NewRole[] {
  const id = (n: number) => groupId * 1000 + n;
  const officer: Partial<RolePermissions> = { changeRank: true, acceptRequests: true, exileMembers: true, viewAuditLog: true };
  return [
    { id: id(1), name: "Owner", rank: 255, description: "" },
    { id: id(2), name: "Ranking Bot", rank: 254, description: "Automated rank management." },
    { id: id(3), name: "Recruit", rank: 1, description: "New members." },
    { id: id(4), name: "Guest", rank: 0, description: "A non-group member." },
    { id: id(5), name: "Private", rank: 2, description: "" },
    { id: id(6), name: "Private First Class", rank: 3, description: "" },
    { id: id(7), name: "Corporal", rank: 10, description: "" },
    { id: id(8), name: "Sergeant", rank: 20, description: "" },
    { id: id(9), name: "Staff Sergeant", rank: 30, description: "" },
    { id: id(10), name: "Second Lieutenant", rank: 100, description: "" },
    { id: id(11), name: "First Lieutenant", rank: 110, description: "" },
    { id: id(12), name: "Captain", rank: 120, description: "" },
    { id: id(13), name: "Major", rank: 130, description: "" },
    { id: id(14), name: "Colonel", rank: 200, description: "", permissions: officer },
    { id: id(15), name: "General", rank: 250, description: "", permissions: { ...officer, ...MANAGER_PERMISSIONS } },
  ];
}

let updateCounter = 0;
const nextTick = () => (updateCounter = (updateCounter + 1) % 10_000);

/** `2025-05-17T16:26:10.879549500Z`: Roblox's updateTime carries more than millisecond precision. */
export function memberUpdateTime(member: MemberRecord): string {
  return new Date(member.updatedMs).toISOString().replace("Z", `${String(member.updateTick).padStart(4, "0")}00Z`);
}

export const isoTime = (ms: number) => new Date(ms).toISOString();

function parseTime(value: string | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new Error(`${what}: not a date: ${value}`);
  return ms;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class RobloxState {
  readonly users = new Map<number, UserRecord>();
  readonly groups = new Map<number, GroupRecord>();
  /** Every role of every group, by id (role ids are global on Roblox). */
  readonly roles = new Map<number, RoleRecord>();
  private readonly usersByName = new Map<string, UserRecord>();
  private readonly usersByPreviousName = new Map<string, UserRecord>();
  /** userId → groupId → membership. */
  private readonly membershipsByUser = new Map<number, Map<number, MemberRecord>>();
  private maxUserId = 0;

  // ---- users ------------------------------------------------------------------------------

  addUser(u: NewUser): UserRecord {
    if (!Number.isSafeInteger(u.id) || u.id <= 0) throw new Error(`addUser: invalid id ${u.id}`);
    if (this.users.has(u.id)) throw new Error(`addUser: user ${u.id} already exists`);
    const key = u.name.toLowerCase();
    if (!USERNAME.test(u.name)) throw new Error(`addUser: invalid username ${JSON.stringify(u.name)} (3-20 letters, digits, _)`);
    if (this.usersByName.has(key)) throw new Error(`addUser: username ${u.name} is taken`);
    const user: UserRecord = {
      id: u.id,
      name: u.name,
      displayName: u.displayName ?? u.name,
      description: u.description ?? "",
      createdMs: parseTime(u.created, DEFAULT_CREATED_MS, "addUser created"),
      isBanned: u.isBanned ?? false,
      previousNames: [],
      locale: "en-us",
      premium: false,
      idVerified: false,
      thumbnailState: u.isBanned ? "Blocked" : "Completed",
    };
    this.users.set(user.id, user);
    this.usersByName.set(key, user);
    if (user.id > this.maxUserId) this.maxUserId = user.id;
    return user;
  }

  requireUser(userId: number): UserRecord {
    const user = this.users.get(userId);
    if (!user) throw new Error(`unknown user ${userId}`);
    return user;
  }

  /** Current usernames first, then previous ones (users.roblox.com also checks previous usernames). */
  userByName(name: string): UserRecord | undefined {
    const key = name.toLowerCase();
    return this.usersByName.get(key) ?? this.usersByPreviousName.get(key);
  }

  renameUser(userId: number, newName: string): void {
    const user = this.requireUser(userId);
    const key = newName.toLowerCase();
    const holder = this.usersByName.get(key);
    if (holder && holder !== user) throw new Error(`renameUser: username ${newName} is taken`);
    this.usersByName.delete(user.name.toLowerCase());
    user.previousNames.push(user.name);
    this.usersByPreviousName.set(user.name.toLowerCase(), user);
    user.name = newName;
    this.usersByName.set(key, user);
  }

  // ---- groups and roles -------------------------------------------------------------------

  createGroup(g: NewGroup): GroupRecord {
    if (!Number.isSafeInteger(g.id) || g.id <= 0) throw new Error(`createGroup: invalid id ${g.id}`);
    if (this.groups.has(g.id)) throw new Error(`createGroup: group ${g.id} already exists`);
    if (g.ownerId !== null) this.requireUser(g.ownerId);
    const createdMs = parseTime(g.created, DEFAULT_CREATED_MS, "createGroup created");
    const roles = new Map<number, RoleRecord>();
    const ranks = new Set<number>();
    for (const r of g.roles) {
      if (!Number.isSafeInteger(r.id) || r.id <= 0) throw new Error(`createGroup: invalid role id ${r.id}`);
      if (roles.has(r.id) || this.roles.has(r.id)) throw new Error(`createGroup: role id ${r.id} is already used`);
      if (!Number.isInteger(r.rank) || r.rank < 0 || r.rank > 255) throw new Error(`createGroup: invalid rank ${r.rank}`);
      if (ranks.has(r.rank)) throw new Error(`createGroup: two roles with rank ${r.rank}`);
      ranks.add(r.rank);
      roles.set(r.id, {
        id: r.id,
        groupId: g.id,
        name: r.name,
        rank: r.rank,
        description: r.description ?? "",
        color: r.color ?? 1,
        isBase: false,
        permissions: { ...defaultPermissions(r.rank), ...r.permissions },
        createdMs,
        updatedMs: createdMs,
        holders: new SeqIndex(),
      });
    }
    const rolesByRank = [...roles.values()].sort((a, b) => a.rank - b.rank);
    const guestRole = rolesByRank[0];
    const ownerRole = rolesByRank[rolesByRank.length - 1];
    if (guestRole?.rank !== 0) throw new Error("createGroup: roles must include Guest (rank 0)");
    if (ownerRole?.rank !== 255) throw new Error("createGroup: roles must include Owner (rank 255)");
    const explicitBase = g.roles.find((r) => r.isBase);
    const baseRole = explicitBase
      ? (roles.get(explicitBase.id) as RoleRecord)
      : (rolesByRank.find((r) => r.rank === 1) ?? rolesByRank.find((r) => r.rank > 0 && r.rank < 255) ?? null);
    if (baseRole) {
      if (baseRole.rank === 0 || baseRole.rank === 255) throw new Error("createGroup: the base role cannot be Guest or Owner");
      baseRole.isBase = true;
    }
    const group: GroupRecord = {
      id: g.id,
      name: g.name,
      description: g.description ?? "",
      ownerId: g.ownerId,
      createdMs,
      updatedMs: createdMs,
      publicEntryAllowed: g.publicEntryAllowed ?? true,
      locked: g.locked ?? false,
      verified: g.verified ?? false,
      roles,
      rolesByRank,
      rolesById: [...roles.values()].sort((a, b) => a.id - b.id),
      guestRole,
      ownerRole,
      baseRole,
      members: new Map(),
      order: new SeqIndex(),
      nextSeq: 1,
    };
    this.groups.set(group.id, group);
    for (const role of roles.values()) this.roles.set(role.id, role);
    if (g.ownerId !== null) this.join(group, g.ownerId, ownerRole, createdMs);
    return group;
  }

  requireGroup(groupId: number): GroupRecord {
    const group = this.groups.get(groupId);
    if (!group) throw new Error(`unknown group ${groupId}`);
    return group;
  }

  requireRole(group: GroupRecord, roleId: number): RoleRecord {
    const role = group.roles.get(roleId);
    if (!role) throw new Error(`role ${roleId} is not a role of group ${group.id}`);
    return role;
  }

  // ---- memberships ------------------------------------------------------------------------

  member(groupId: number, userId: number): MemberRecord | undefined {
    return this.groups.get(groupId)?.members.get(userId);
  }

  /** Memberships of a user, ascending by group id. */
  membershipsOf(userId: number): MemberRecord[] {
    const byGroup = this.membershipsByUser.get(userId);
    if (!byGroup) return [];
    return [...byGroup.values()].sort((a, b) => a.groupId - b.groupId);
  }

  snapshot(member: MemberRecord): MembershipSnapshot {
    const top = highestRole(member);
    return { roleId: top.id, rank: top.rank, roleIds: member.roles.map((r) => r.id) };
  }

  /** Test helper: makes `userId` a member whose rank is `roleId` (plus the base role), joining if needed. */
  setMembership(groupId: number, userId: number, roleId: number): void {
    const group = this.requireGroup(groupId);
    const role = this.requireRole(group, roleId);
    this.checkAssignableByHelper(group, userId, role);
    const member = group.members.get(userId);
    if (!member) this.join(group, userId, role);
    else this.setRoles(member, rolesWithBase(group, [role]));
  }

  /** Test helper: gives a member one more role (joining with it if not a member). */
  addRoleToMember(groupId: number, userId: number, roleId: number): void {
    const group = this.requireGroup(groupId);
    const role = this.requireRole(group, roleId);
    this.checkAssignableByHelper(group, userId, role);
    const member = group.members.get(userId);
    if (!member) this.join(group, userId, role);
    else this.assignRole(member, role);
  }

  removeRoleFromMember(groupId: number, userId: number, roleId: number): void {
    const group = this.requireGroup(groupId);
    const role = this.requireRole(group, roleId);
    const member = group.members.get(userId);
    if (!member) throw new Error(`user ${userId} is not a member of group ${groupId}`);
    if (role.isBase) throw new Error("the base member role cannot be removed; use removeMember");
    if (role === group.ownerRole) throw new Error("the Owner role cannot be removed");
    this.unassignRole(member, role);
  }

  removeMember(groupId: number, userId: number): void {
    const group = this.requireGroup(groupId);
    const member = group.members.get(userId);
    if (!member) return;
    if (group.ownerId === userId) throw new Error("the owner cannot be removed from the group");
    this.leave(group, member);
  }

  /** Replaces every role but the base role with `role` (deprecated PATCH and legacy rank change). */
  replaceRoles(group: GroupRecord, member: MemberRecord, role: RoleRecord): boolean {
    const next = rolesWithBase(group, [role]);
    if (next.length === member.roles.length && next.every((r, i) => r === member.roles[i])) return false;
    this.setRoles(member, next);
    return true;
  }

  /** Adds a role; false when already held (no action). */
  assignRole(member: MemberRecord, role: RoleRecord): boolean {
    if (member.roles.includes(role)) return false;
    this.setRoles(member, [...member.roles, role].sort((a, b) => a.rank - b.rank));
    return true;
  }

  /** Removes a role; false when not held (no action). */
  unassignRole(member: MemberRecord, role: RoleRecord): boolean {
    if (!member.roles.includes(role)) return false;
    this.setRoles(
      member,
      member.roles.filter((r) => r !== role),
    );
    return true;
  }

  /** Joins with the base member role (a user joining on the website). */
  joinAsMember(group: GroupRecord, userId: number): MemberRecord {
    const role = group.baseRole ?? group.rolesByRank.find((r) => r.rank > 0 && r.rank < 255);
    if (!role) throw new Error(`group ${group.id} has no role to join with`);
    return this.join(group, userId, role);
  }

  leave(group: GroupRecord, member: MemberRecord): void {
    for (const role of member.roles) role.holders.delete(member);
    group.order.delete(member);
    group.members.delete(member.userId);
    const byGroup = this.membershipsByUser.get(member.userId);
    byGroup?.delete(group.id);
    if (byGroup?.size === 0) this.membershipsByUser.delete(member.userId);
  }

  /**
   * Seeds `count` new users as members of `groupId`, spread over roles. O(count): ids ascend, so
   * every index insert is an append.
   */
  bulkSeed(groupId: number, count: number, options: BulkSeedOptions = {}): number[] {
    const group = this.requireGroup(groupId);
    const prefix = options.namePrefix ?? "Player";
    const start = options.startUserId ?? Math.max(this.maxUserId + 1, 1_000_000);
    const random = mulberry32(options.seed ?? groupId);
    const { roles, cumulative } = this.seedDistribution(group, options.roles);
    const total = cumulative[cumulative.length - 1] as number;
    const now = Date.now();
    const ids: number[] = [];
    for (let i = 0; i < count; i++) {
      const id = start + i;
      if (this.users.has(id)) throw new Error(`bulkSeed: user ${id} already exists`);
      this.addUser({ id, name: `${prefix}${id}` });
      const pick = random() * total;
      let r = 0;
      while ((cumulative[r] as number) <= pick) r++;
      this.join(group, id, roles[r] as RoleRecord, now - (count - i) * 60_000);
      ids.push(id);
    }
    return ids;
  }

  private seedDistribution(group: GroupRecord, spec: BulkSeedOptions["roles"]): { roles: RoleRecord[]; cumulative: number[] } {
    let weighted: [RoleRecord, number][];
    if (Array.isArray(spec)) weighted = spec.map((id) => [this.requireRole(group, id), 1]);
    else if (spec) weighted = Object.entries(spec).map(([id, w]) => [this.requireRole(group, Number(id)), w]);
    else {
      const ladder = group.rolesByRank.filter((r) => r.rank > 0 && r.rank < 254);
      weighted = ladder.map((role, i) => [role, 0.55 ** i]);
    }
    for (const [role] of weighted) this.checkAssignableByHelper(group, -1, role);
    if (weighted.length === 0) throw new Error(`bulkSeed: group ${group.id} has no role to seed members into`);
    let sum = 0;
    return { roles: weighted.map(([r]) => r), cumulative: weighted.map(([, w]) => (sum += w)) };
  }

  private checkAssignableByHelper(group: GroupRecord, userId: number, role: RoleRecord): void {
    if (role === group.guestRole) throw new Error("Guest (rank 0) is not a membership role");
    if (role === group.ownerRole && group.ownerId !== userId) {
      throw new Error(`only the owner (createGroup ownerId) holds the Owner role of group ${group.id}`);
    }
  }

  private join(group: GroupRecord, userId: number, role: RoleRecord, joinedMs = Date.now()): MemberRecord {
    this.requireUser(userId);
    const member: MemberRecord = {
      seq: group.nextSeq++,
      groupId: group.id,
      userId,
      roles: rolesWithBase(group, [role]),
      createdMs: joinedMs,
      updatedMs: joinedMs,
      updateTick: nextTick(),
    };
    group.members.set(userId, member);
    group.order.add(member);
    for (const r of member.roles) r.holders.add(member);
    let byGroup = this.membershipsByUser.get(userId);
    if (!byGroup) {
      byGroup = new Map();
      this.membershipsByUser.set(userId, byGroup);
    }
    byGroup.set(group.id, member);
    return member;
  }

  private setRoles(member: MemberRecord, next: RoleRecord[]): void {
    for (const role of member.roles) if (!next.includes(role)) role.holders.delete(member);
    for (const role of next) if (!member.roles.includes(role)) role.holders.add(member);
    member.roles = next;
    member.updatedMs = Date.now();
    member.updateTick = nextTick();
  }
}

export function highestRole(member: MemberRecord): RoleRecord {
  return member.roles[member.roles.length - 1] as RoleRecord;
}

export function hasPermission(member: MemberRecord | undefined, key: RolePermissionKey): boolean {
  return member?.roles.some((r) => r.permissions[key]) ?? false;
}

/** `role` plus the base member role, ascending by rank. */
function rolesWithBase(group: GroupRecord, roles: RoleRecord[]): RoleRecord[] {
  const base = group.baseRole;
  if (roles.length === 1) {
    const role = roles[0] as RoleRecord;
    if (!base || base === role) return [role];
    return base.rank < role.rank ? [base, role] : [role, base];
  }
  const set = new Set(roles);
  if (group.baseRole) set.add(group.baseRole);
  return [...set].sort((a, b) => a.rank - b.rank);
}
