// Guild, role and member REST routes, with Discord's permission and hierarchy checks
// (docs: resources/guild, topics/permissions).
import { AuditLogEvent, PermissionFlagsBits } from "discord-api-types/v10";
import { Errors, FieldMsg, FormErrors, HttpError } from "./errors.ts";
import { basePermissions, canManageRole, hasPermission, highestRole, outranksMember } from "./permissions.ts";
import type { RouteDef, RouteRequest, RouteResult } from "./router.ts";
import { compareSnowflakes, isSnowflake } from "./snowflake.ts";
import { roleJSON, type DiscordState, type GuildRec, type MemberRec, type RoleRec } from "./state.ts";

export interface GuildRouteOptions {
  /** GUILD_MEMBERS privileged intent enabled for the app (needed to list members over REST). */
  guildMembersIntent: () => boolean;
}

const MAX_ROLES = 250;

export function guildRoutes(state: DiscordState, opts: GuildRouteOptions): RouteDef[] {
  const bot = () => state.botUser.id;

  const guildOf = (req: RouteRequest): GuildRec => {
    const g = state.guilds.get(req.params.guild_id!);
    if (!g) throw Errors.unknownGuild();
    return g;
  };
  const memberOf = (g: GuildRec, userId: string): MemberRec => {
    const m = g.members.get(userId);
    if (!m) throw state.users.has(userId) ? Errors.unknownMember() : Errors.unknownUser();
    return m;
  };
  const roleOf = (g: GuildRec, roleId: string): RoleRec => {
    const r = g.roles.get(roleId);
    if (!r) throw Errors.unknownRole();
    return r;
  };
  const requirePerm = (g: GuildRec, flag: bigint) => {
    if (!hasPermission(g, bot(), flag)) throw Errors.missingPermissions();
  };
  /** Assigning or removing a role: not @everyone, not managed, MANAGE_ROLES and strictly below the bot. */
  const checkAssignable = (g: GuildRec, role: RoleRec) => {
    if (role.id === g.id) throw Errors.invalidRole();
    if (role.managed || !canManageRole(g, bot(), role)) throw Errors.missingPermissions();
  };
  /** A role can't be given permissions the bot doesn't have itself (unless it is owner/administrator). */
  const checkPermissionEscalation = (g: GuildRec, perms: bigint) => {
    const own = basePermissions(g, bot());
    if ((perms & ~own) !== 0n) throw Errors.missingPermissions();
  };

  const parseRoleBody = (body: unknown, creating: boolean) => {
    const errors = new FormErrors();
    const b = (body ?? {}) as Record<string, unknown>;
    if (typeof b !== "object" || Array.isArray(b)) {
      errors.add([], ...FieldMsg.object);
      errors.throwIfAny();
    }
    const out: { name?: string; permissions?: bigint; color?: number; hoist?: boolean; mentionable?: boolean } = {};
    if (b.name !== undefined && b.name !== null) {
      if (typeof b.name !== "string") errors.add(["name"], ...FieldMsg.string);
      else if (b.name.length < 1 || b.name.length > 100) errors.add(["name"], ...FieldMsg.badLength(1, 100));
      else out.name = b.name;
    }
    if (b.permissions !== undefined && b.permissions !== null) {
      const p = b.permissions;
      if ((typeof p === "string" && /^\d+$/.test(p)) || (typeof p === "number" && Number.isInteger(p) && p >= 0)) out.permissions = BigInt(p);
      else errors.add(["permissions"], ...FieldMsg.intType);
    }
    const color = b.color ?? (b.colors as Record<string, unknown> | undefined)?.primary_color;
    if (color !== undefined && color !== null) {
      if (!Number.isInteger(color) || (color as number) < 0 || (color as number) > 0xffffff) errors.add(["color"], ...FieldMsg.numberMax(0xffffff));
      else out.color = color as number;
    }
    for (const k of ["hoist", "mentionable"] as const) {
      if (b[k] !== undefined && b[k] !== null) {
        if (typeof b[k] !== "boolean") errors.add([k], ...FieldMsg.bool);
        else out[k] = b[k] as boolean;
      }
    }
    errors.throwIfAny();
    if (creating) out.name ??= "new role";
    return out;
  };

  const parseBoundedInt = (errors: FormErrors, q: URLSearchParams, key: string, def: number, min: number, max: number): number => {
    const raw = q.get(key);
    if (raw === null) return def;
    if (!/^-?\d+$/.test(raw)) {
      errors.add([key], ...FieldMsg.intType);
      return def;
    }
    const n = Number(raw);
    if (n < min) errors.add([key], ...FieldMsg.numberMin(min));
    else if (n > max) errors.add([key], ...FieldMsg.numberMax(max));
    return n;
  };

  const routes: RouteDef[] = [];
  const r = (method: string, pattern: string, handler: (req: RouteRequest) => RouteResult, bucket: RouteDef["bucket"] = "default") =>
    routes.push({ method, pattern, handler, auth: "bot", bucket, global: true });

  r("GET", "/guilds/:guild_id", (req) => ({ status: 200, body: state.guildJSON(guildOf(req), req.query.get("with_counts") === "true") }));

  r("GET", "/guilds/:guild_id/channels", (req) => ({ status: 200, body: guildOf(req).channelIds.map((id) => state.channelJSON(state.channels.get(id)!)) }));

  // ---- roles ----
  r("GET", "/guilds/:guild_id/roles", (req) => ({ status: 200, body: state.sortedRoles(guildOf(req)).map(roleJSON) }));

  r("GET", "/guilds/:guild_id/roles/:role_id", (req) => {
    const g = guildOf(req);
    return { status: 200, body: roleJSON(roleOf(g, req.params.role_id!)) };
  });

  r("POST", "/guilds/:guild_id/roles", (req) => {
    const g = guildOf(req);
    requirePerm(g, PermissionFlagsBits.ManageRoles);
    const input = parseRoleBody(req.body, true);
    if (input.permissions !== undefined) checkPermissionEscalation(g, input.permissions);
    if (g.roles.size >= MAX_ROLES) throw new HttpError(400, { message: "Maximum number of guild roles reached (250)", code: 30005 });
    return { status: 200, body: roleJSON(state.createRole(g, input)) };
  });

  r("PATCH", "/guilds/:guild_id/roles/:role_id", (req) => {
    const g = guildOf(req);
    const role = roleOf(g, req.params.role_id!);
    requirePerm(g, PermissionFlagsBits.ManageRoles);
    if (!canManageRole(g, bot(), role)) throw Errors.missingPermissions();
    const input = parseRoleBody(req.body, false);
    if (input.permissions !== undefined) checkPermissionEscalation(g, input.permissions);
    if (role.managed && input.name !== undefined && input.name !== role.name) throw Errors.missingPermissions();
    Object.assign(role, input);
    state.emitRoleUpdate(g, role);
    return { status: 200, body: roleJSON(role) };
  });

  r("PATCH", "/guilds/:guild_id/roles", (req) => {
    const g = guildOf(req);
    requirePerm(g, PermissionFlagsBits.ManageRoles);
    const errors = new FormErrors();
    if (!Array.isArray(req.body)) {
      errors.add([], ...FieldMsg.array);
      errors.throwIfAny();
    }
    const moves = (req.body as unknown[]).map((item, i) => {
      const o = item as Record<string, unknown>;
      if (!isSnowflake(o?.id)) errors.add([i, "id"], ...FieldMsg.snowflake);
      if (o?.position !== undefined && o.position !== null && !Number.isInteger(o.position)) errors.add([i, "position"], ...FieldMsg.intType);
      return o;
    });
    errors.throwIfAny();
    const top = highestRole(g, g.members.get(bot()));
    for (const m of moves) {
      const role = roleOf(g, m.id as string);
      if (m.position === undefined || m.position === null) continue;
      const pos = m.position as number;
      // Both the role and its destination must stay strictly below the bot's highest role.
      if (!canManageRole(g, bot(), role) || (g.ownerId !== bot() && pos >= top.position)) throw Errors.missingPermissions();
      for (const moved of state.moveRole(g, role, pos)) state.emitRoleUpdate(g, moved);
    }
    return { status: 200, body: state.sortedRoles(g).map(roleJSON) };
  });

  r("DELETE", "/guilds/:guild_id/roles/:role_id", (req) => {
    const g = guildOf(req);
    const role = roleOf(g, req.params.role_id!);
    requirePerm(g, PermissionFlagsBits.ManageRoles);
    if (role.id === g.id || role.managed) throw Errors.invalidRole();
    if (!canManageRole(g, bot(), role)) throw Errors.missingPermissions();
    state.deleteRole(g, role);
    return { status: 204 };
  });

  // ---- members ----
  r("GET", "/guilds/:guild_id/members", (req) => {
    const g = guildOf(req);
    if (!opts.guildMembersIntent()) throw Errors.missingAccess();
    const errors = new FormErrors();
    const limit = parseBoundedInt(errors, req.query, "limit", 1, 1, 1000);
    const after = req.query.get("after") ?? "0";
    if (!isSnowflake(after)) errors.add(["after"], ...FieldMsg.snowflake);
    errors.throwIfAny();
    const ids = state.sortedMemberIds(g);
    // First id strictly greater than `after` (binary search keeps 100k-member paging cheap).
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareSnowflakes(ids[mid]!, after) <= 0) lo = mid + 1;
      else hi = mid;
    }
    const page = ids.slice(lo, lo + limit).map((id) => state.memberJSON(g.members.get(id)!));
    return { status: 200, body: page };
  });

  r("GET", "/guilds/:guild_id/members/search", (req) => {
    const g = guildOf(req);
    const errors = new FormErrors();
    const query = req.query.get("query");
    if (query === null) errors.add(["query"], ...FieldMsg.required);
    const limit = parseBoundedInt(errors, req.query, "limit", 1, 1, 1000);
    errors.throwIfAny();
    const q = query!.toLowerCase();
    const out = [];
    for (const m of g.members.values()) {
      const u = state.user(m.userId);
      if (u.username.toLowerCase().startsWith(q) || m.nick?.toLowerCase().startsWith(q) || u.globalName?.toLowerCase().startsWith(q)) {
        out.push(state.memberJSON(m));
        if (out.length >= limit) break;
      }
    }
    return { status: 200, body: out };
  });

  r("GET", "/guilds/:guild_id/members/:user_id", (req) => {
    const g = guildOf(req);
    return { status: 200, body: state.memberJSON(memberOf(g, req.params.user_id!)) };
  });

  r(
    "PATCH",
    "/guilds/:guild_id/members/:user_id",
    (req) => {
      const g = guildOf(req);
      const member = memberOf(g, req.params.user_id!);
      const b = req.body as Record<string, unknown> | undefined;
      const errors = new FormErrors();
      if (b === undefined || typeof b !== "object" || b === null || Array.isArray(b)) {
        errors.add([], ...FieldMsg.object);
        errors.throwIfAny();
      }
      const body = b!;
      let nextRoles: string[] | undefined;
      if (body.roles !== undefined && body.roles !== null) {
        if (!Array.isArray(body.roles)) errors.add(["roles"], ...FieldMsg.array);
        else {
          body.roles.forEach((id, i) => {
            if (!isSnowflake(id)) errors.add(["roles", i], ...FieldMsg.snowflake);
          });
          nextRoles = (body.roles as string[]).filter((id) => id !== g.id);
        }
      }
      let nick: string | null | undefined;
      if ("nick" in body) {
        if (body.nick !== null && typeof body.nick !== "string") errors.add(["nick"], ...FieldMsg.string);
        else if (typeof body.nick === "string" && body.nick.length > 32) errors.add(["nick"], ...FieldMsg.maxLength(32));
        else nick = (body.nick as string | null) || null;
      }
      errors.throwIfAny();
      if (nextRoles) {
        requirePerm(g, PermissionFlagsBits.ManageRoles);
        const next = new Set(nextRoles);
        const current = new Set(member.roles);
        // Only the roles that change are checked against the hierarchy.
        for (const id of next) if (!current.has(id)) checkAssignable(g, roleOf(g, id));
        for (const id of current) if (!next.has(id)) checkAssignable(g, roleOf(g, id));
      }
      if (nick !== undefined && nick !== member.nick) {
        const self = member.userId === bot();
        requirePerm(g, self ? PermissionFlagsBits.ChangeNickname : PermissionFlagsBits.ManageNicknames);
        if (!outranksMember(g, bot(), member.userId)) throw Errors.missingPermissions();
      }
      let changed = false;
      if (nextRoles) {
        const next = [...new Set(nextRoles)];
        if (next.length !== member.roles.length || next.some((id) => !member.roles.includes(id))) {
          member.roles = next;
          changed = true;
        }
      }
      if (nick !== undefined && nick !== member.nick) {
        member.nick = nick;
        changed = true;
      }
      if (changed) state.emitMemberUpdate(g, member);
      return { status: 200, body: state.memberJSON(member) };
    },
    "memberPatch",
  );

  // Kick (docs: resources/guild#remove-guild-member): KICK_MEMBERS, and the target strictly below
  // the bot's highest role; the owner can never be kicked. 204 on success; the member's
  // GUILD_MEMBER_REMOVE follows and the reason goes to the guild's audit log (MEMBER_KICK).
  r("DELETE", "/guilds/:guild_id/members/:user_id", (req) => {
    const g = guildOf(req);
    const member = memberOf(g, req.params.user_id!);
    requirePerm(g, PermissionFlagsBits.KickMembers);
    if (member.userId === g.ownerId || member.userId === bot() || !outranksMember(g, bot(), member.userId)) throw Errors.missingPermissions();
    const reason = auditLogReason(req.headers);
    state.removeMember(g, member.userId);
    state.recordAuditLog(g, { actionType: AuditLogEvent.MemberKick, userId: bot(), targetId: member.userId, reason });
    return { status: 204 };
  });

  const roleChange = (add: boolean) => (req: RouteRequest): RouteResult => {
    const g = guildOf(req);
    const member = memberOf(g, req.params.user_id!);
    const role = roleOf(g, req.params.role_id!);
    checkAssignable(g, role);
    const has = member.roles.includes(role.id);
    if (add && !has) state.setMemberRoles(g, member, [...member.roles, role.id]);
    if (!add && has) state.setMemberRoles(g, member, member.roles.filter((id) => id !== role.id));
    return { status: 204 };
  };
  r("PUT", "/guilds/:guild_id/members/:user_id/roles/:role_id", roleChange(true), "memberRole");
  r("DELETE", "/guilds/:guild_id/members/:user_id/roles/:role_id", roleChange(false), "memberRole");

  return routes;
}

/**
 * The `X-Audit-Log-Reason` header: URL-encoded UTF-8, at most 512 characters once decoded (docs:
 * resources/audit-log). A value that does not decode or is longer is refused as a form error.
 */
export function auditLogReason(headers: Headers): string | null {
  const raw = headers.get("x-audit-log-reason");
  if (raw === null) return null;
  const errors = new FormErrors();
  let reason = "";
  try {
    reason = decodeURIComponent(raw);
  } catch {
    errors.add(["audit_log_reason"], "BASE_TYPE_BAD_ENCODING", "Could not decode the reason.");
  }
  if ([...reason].length > 512) errors.add(["audit_log_reason"], ...FieldMsg.maxLength(512));
  errors.throwIfAny();
  return reason;
}
