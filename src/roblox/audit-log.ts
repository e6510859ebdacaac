/**
 * Reading a group's audit log through Open Cloud: `GET apis/legacy-groups/v1/groups/{groupId}/audit-log`
 * (an API key with scope `legacy-group:manage`; 100 requests a minute per key owner, its own
 * limiter class `groups.auditLog`). One page per call: the caller keeps the cursor.
 */
import { type AuditActionType, type AuditLogPage, auditLogPage, decodeAuditLogEntry } from "./audit-log-schema.ts";
import { RobloxError, RobloxPermissionError } from "./errors.ts";
import type { RequestTally, RobloxTransport } from "./transport.ts";

export const AUDIT_LOG_SCOPE = "legacy-group:manage";
/** The group role permission ("View audit log") the key's owner needs. */
export const AUDIT_LOG_PERMISSION = "viewAuditLog";
export const AUDIT_LOG_PAGE_SIZES = [10, 25, 50, 100] as const;
export type AuditLogPageSize = (typeof AUDIT_LOG_PAGE_SIZES)[number];

export interface AuditLogQuery {
  /** From a previous page (`nextPageCursor`); absent for the first page. */
  cursor?: string | null;
  /** 10, 25, 50 or 100 (Roblox refuses other values); default 100. */
  limit?: AuditLogPageSize;
  /** Desc: newest first. Default Desc (Roblox's own default is Asc). */
  sortOrder?: "Asc" | "Desc";
  /** Only this action type (Roblox's name, e.g. "ChangeRank"). */
  actionType?: Exclude<AuditActionType, "other"> | (string & {});
  /** Only entries made by this user. */
  userId?: number;
}

/**
 * 403 on the audit log: the key lacks the scope, or its owner may not view the group's audit log.
 * Roblox answers both with the same code 23, so the message names both things to grant. Its kind
 * is `missing_permission`, like every other permission error.
 */
export class RobloxAuditLogForbiddenError extends RobloxError {
  readonly kind = "missing_permission";
  readonly scope = AUDIT_LOG_SCOPE;
  readonly groupPermission = AUDIT_LOG_PERMISSION;
  readonly userMessage =
    `The bot can't read the Roblox group's audit log: give its API key the \`${AUDIT_LOG_SCOPE}\` scope, ` +
    `and its owner a group role with "View audit log" (or use a key owned by the group).`;
}

export class AuditLogApi {
  constructor(private readonly transport: RobloxTransport) {}

  async readPage(groupId: number, query: AuditLogQuery = {}, tally?: RequestTally): Promise<AuditLogPage> {
    const limit = query.limit ?? 100;
    if (!AUDIT_LOG_PAGE_SIZES.includes(limit)) throw new RangeError(`audit log limit must be 10, 25, 50 or 100, got ${limit}`);
    try {
      const page = await this.transport.request(
        {
          api: "groups.auditLog",
          service: "apis",
          method: "GET",
          path: `/legacy-groups/v1/groups/${groupId}/audit-log`,
          query: {
            limit,
            sortOrder: query.sortOrder ?? "Desc",
            cursor: query.cursor ?? undefined,
            actionType: query.actionType,
            userId: query.userId,
          },
          auth: "api-key",
          // Code 23 is "insufficient permissions" here, not "own rank" as on the rank endpoint.
          errors: { operation: `read the audit log of group ${groupId}`, legacyCodes: { 23: "missing_permission" } },
          tally,
        },
        auditLogPage,
      );
      return {
        entries: page.data.map(decodeAuditLogEntry),
        nextPageCursor: page.nextPageCursor,
        previousPageCursor: page.previousPageCursor,
      };
    } catch (error) {
      if (error instanceof RobloxPermissionError && error.status === 403) {
        throw new RobloxAuditLogForbiddenError(error.message, { status: 403, code: error.code, apiMessage: error.apiMessage, cause: error });
      }
      throw error;
    }
  }
}
