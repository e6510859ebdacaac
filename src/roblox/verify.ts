import type { Logger } from "../observability/logger.ts";
import type { Metrics } from "../observability/metrics.ts";
import type { RobloxClient } from "./client.ts";
import { RobloxError } from "./errors.ts";
import type { GroupRole, RobloxAuthKind } from "./types.ts";
import { AUDIT_LOG_NOT_CHECKED, type AuditLogAccess, checkAuditLogAccess } from "./verify-audit-log.ts";

/** The setting an operator must look at to fix a problem. */
export type RobloxSetting = "ROBLOX_API_KEY" | "ROBLOX_COOKIE" | "ROBLOX_GROUP_ID" | "ROBLOX_API_URL";

export interface RobloxCredentialProblem {
  variable: RobloxSetting;
  message: string;
}

export interface RobloxCredentialReport {
  /** True when every check the configured credentials allow passed. */
  ok: boolean;
  auth: RobloxAuthKind;
  groupName: string | null;
  roleCount: number | null;
  /** Whether rank writes are expected to succeed (see `verifyRobloxCredentials`). */
  canWrite: boolean;
  problems: RobloxCredentialProblem[];
  /** Whether the group audit log (the change feed) can be read; informative, never a problem. */
  auditLog: AuditLogAccess;
}

export interface VerifyOptions {
  logger?: Logger;
  metrics?: Metrics;
}

/**
 * Start-up check of the Roblox settings. Reads the group and its roles and finds out, without
 * changing anything, whether ranks can be written:
 *
 * - API key: the role list shows permissions only for roles the key owner may see (its own role,
 *   or all of them for the owner). If one it can see grants `changeRank`, the group permission is
 *   there. The `group:write` scope is then tested with `:unassignRole` of an assignable role on a
 *   user the read just before showed is not a member. By the spec, unassigning a role the user does
 *   not hold is a no-op, and a non-member holds none (a user joining in between holds only the base
 *   role, which is never the one sent). A 403 says the scope or permission is missing; any other
 *   answer (the no-op 200, or a 404/400 about the non-member) came after the scope check passed.
 * - Cookie: `GET /v1/users/authenticated` (is the cookie valid?) and the account's own membership
 *   in the group (`GET /v1/groups/{id}/membership`), whose permissions include `changeRank`.
 * - None: reads only; writes are reported as impossible.
 *
 * - API key: whether the group audit log is readable (one read of 10 entries), reported beside the
 *   problems, not among them: the periodic sync works without it.
 *
 * Never throws: problems are logged as warnings naming the setting to check, returned for
 * `/readyz`, and exported as `rankbridge_roblox_credentials_ok{check="read"|"write"}`.
 */
export async function verifyRobloxCredentials(
  client: RobloxClient,
  groupId: number | undefined,
  options: VerifyOptions = {},
): Promise<RobloxCredentialReport> {
  const report: RobloxCredentialReport = {
    ok: true,
    auth: client.auth,
    groupName: null,
    roleCount: null,
    canWrite: false,
    problems: [],
    auditLog: AUDIT_LOG_NOT_CHECKED,
  };
  const problem = (variable: RobloxSetting, message: string) => {
    report.problems.push({ variable, message });
    options.logger?.warn({ variable, auth: client.auth, groupId }, `Roblox check failed: ${variable}: ${message}`);
  };

  try {
    await runChecks(client, groupId, report, problem, options.logger);
  } catch (error) {
    problem(settingFor(error, client.auth, "ROBLOX_API_URL"), describeFailure(error));
  }

  report.ok = report.problems.length === 0;
  options.metrics?.robloxCredentials.set({ check: "read" }, report.groupName !== null ? 1 : 0);
  options.metrics?.robloxCredentials.set({ check: "write" }, report.canWrite ? 1 : 0);
  const summary = {
    auth: report.auth,
    groupId,
    groupName: report.groupName,
    roleCount: report.roleCount,
    canWrite: report.canWrite,
    auditLogReadable: report.auditLog.readable,
  };
  if (report.auditLog.readable === false) {
    options.logger?.warn({ groupId, variable: "ROBLOX_API_KEY" }, `Roblox group audit log not readable: ${report.auditLog.detail}`);
  }
  if (report.ok) options.logger?.info(summary, "Roblox credentials verified");
  else options.logger?.warn({ ...summary, problems: report.problems.length }, "Roblox credentials have problems");
  return report;
}

export type ReportProblem = (variable: RobloxSetting, message: string) => void;

async function runChecks(
  client: RobloxClient,
  groupId: number | undefined,
  report: RobloxCredentialReport,
  problem: ReportProblem,
  logger: Logger | undefined,
): Promise<void> {
  let account: string | undefined;
  if (client.auth === "cookie") {
    const user = await guarded(client.authenticatedUser(), client.auth, "ROBLOX_COOKIE", problem);
    if (!user) return;
    account = `${user.name} (${user.id})`;
  }
  if (groupId === undefined) {
    problem("ROBLOX_GROUP_ID", "is not set: every guild must set its own group before ranks can sync");
    return;
  }

  const group = await guarded(client.getGroup(groupId), client.auth, "ROBLOX_GROUP_ID", problem);
  if (!group) return;
  report.groupName = group.name;
  const roles = await guarded(client.listRoles(groupId), client.auth, "ROBLOX_GROUP_ID", problem);
  if (!roles) return;
  report.roleCount = roles.length;

  if (client.auth === "none") {
    // Not a problem by itself (a read-only deployment), but the operator should know.
    logger?.warn(
      { variable: "ROBLOX_API_KEY", groupId },
      "No Roblox credentials: ranks are read but never written; set ROBLOX_API_KEY (or ROBLOX_COOKIE) to write them",
    );
    return;
  }
  if (client.auth === "cookie") {
    const own = await guarded(client.ownMembership(groupId), client.auth, "ROBLOX_COOKIE", problem);
    if (!own) return;
    if (own.roleId === null) {
      problem("ROBLOX_COOKIE", `the cookie's account ${account} is not a member of group ${groupId}, so it cannot change ranks`);
    } else if (!own.canChangeRank) {
      problem("ROBLOX_COOKIE", `the cookie's account ${account} has no "Change rank" permission in group ${groupId}`);
    } else {
      report.canWrite = true;
    }
    return;
  }
  report.canWrite = await checkApiKeyWrite(client, groupId, roles, problem);
  report.auditLog = await checkAuditLogAccess(client, groupId);
}

/** The write half of the check for an API key; also confirms keys that guilds store (design §10). */
export async function checkApiKeyWrite(
  client: RobloxClient,
  groupId: number,
  roles: GroupRole[],
  problem: ReportProblem,
): Promise<boolean> {
  const openCloud = client.openCloudApi;
  if (!openCloud) return false;
  const assignable = roles.filter((role) => role.rank > 0 && role.rank < 255 && !role.isBase);
  const probeRole = assignable[0];
  if (!probeRole) {
    problem("ROBLOX_GROUP_ID", `group ${groupId} has no role besides Guest, the member role and Owner: there is no rank to set`);
    return false;
  }

  // Permissions the key may see are those of its owner's own roles (all of them for the owner).
  const visible = roles.filter((role) => role.rank > 0 && role.canChangeRank !== null);
  if (visible.length > 0 && !visible.some((role) => role.canChangeRank)) {
    problem(
      "ROBLOX_API_KEY",
      `the API key's owner has no role with the "Change rank" permission in group ${groupId}, so it cannot write ranks. ` +
        `Give that account such a role, or create the key on a dedicated account that has one`,
    );
    return false;
  }

  const nonMember = await findNonMember(client, groupId);
  if (nonMember === undefined) {
    problem("ROBLOX_API_KEY", `could not test the group:write scope without side effects (no known non-member of group ${groupId})`);
    return false;
  }
  try {
    await openCloud.unassignRole(groupId, nonMember, probeRole.id);
  } catch (error) {
    if (!(error instanceof RobloxError)) throw error;
    if (error.kind === "missing_permission" || error.kind === "invalid_credentials") {
      problem(
        "ROBLOX_API_KEY",
        `the API key cannot write ranks in group ${groupId}: give it the group:write scope for this group, ` +
          `and its owner (the user account that created it, in the group) a role with the "Change rank" permission ` +
          `(Roblox said: ${error.apiMessage ?? error.kind}). ${KEY_OWNERSHIP_ADVICE}`,
      );
      return false;
    }
    // Anything else (no such membership, invalid argument) was decided after the scope check.
    if (error.kind !== "not_in_group" && error.kind !== "user_not_found" && error.kind !== "invalid_request") throw error;
  }
  return true;
}

/**
 * Since 2026-01-30 Open Cloud keys are owned by a user: group-owned keys stopped working. Said
 * whenever a key is refused, since an old group key is the likeliest cause.
 */
export const KEY_OWNERSHIP_ADVICE =
  "Open Cloud API keys are owned by a user now (group-owned keys stopped working on 2026-01-30): create the key on an account " +
  "that is in the group (Roblox suggests a dedicated one) whose role has the \"Change rank\" permission, with the groups API " +
  "scopes group:read and group:write (legacy-group:manage too for the group audit log)";

/** Users checked in turn for one who is not a member of the group (the first almost always is not). */
const PROBE_USER_IDS = [1, 2, 3, 4, 5];

async function findNonMember(client: RobloxClient, groupId: number): Promise<number | undefined> {
  for (const userId of PROBE_USER_IDS) {
    if ((await client.getMembership(groupId, userId)) === null) return userId;
  }
  return undefined;
}

/** Runs one check; a Roblox failure becomes a problem for the setting the error points at. */
async function guarded<T>(
  promise: Promise<T>,
  auth: RobloxAuthKind,
  checking: RobloxSetting,
  problem: ReportProblem,
): Promise<T | undefined> {
  try {
    return await promise;
  } catch (error) {
    if (!(error instanceof RobloxError)) throw error;
    const keyRefused = auth === "api-key" && (error.kind === "invalid_credentials" || error.kind === "missing_permission");
    problem(settingFor(error, auth, checking), describeFailure(error) + (keyRefused ? `. ${KEY_OWNERSHIP_ADVICE}` : ""));
    return undefined;
  }
}

/** The setting that most likely needs fixing for an error met while checking `fallback`. */
function settingFor(error: unknown, auth: RobloxAuthKind, fallback: RobloxSetting): RobloxSetting {
  if (!(error instanceof RobloxError)) return "ROBLOX_API_URL";
  switch (error.kind) {
    case "network":
    case "timeout":
    case "unexpected_response":
      return "ROBLOX_API_URL";
    case "invalid_credentials":
    case "missing_permission":
    case "no_credentials":
      return auth === "cookie" ? "ROBLOX_COOKIE" : "ROBLOX_API_KEY";
    case "group_not_found":
      return "ROBLOX_GROUP_ID";
    default:
      return fallback;
  }
}

function describeFailure(error: unknown): string {
  if (!(error instanceof RobloxError)) return `unexpected failure: ${String(error)}`;
  switch (error.kind) {
    case "invalid_credentials":
      return `Roblox rejected the credentials (${error.apiMessage ?? `HTTP ${error.status}`})`;
    case "group_not_found":
      return `no Roblox group with this id (${error.apiMessage ?? `HTTP ${error.status}`})`;
    case "missing_permission":
      return `access denied (${error.apiMessage ?? `HTTP ${error.status}`}): the credentials may not be allowed for this group`;
    case "network":
    case "timeout":
      return `could not reach Roblox: ${error.message}`;
    default:
      return error.message;
  }
}
