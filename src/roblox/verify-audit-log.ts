/**
 * Part of the start-up check: can the API key read the group's audit log (the change feed's
 * source, design §3.2)? One read of 10 entries. Informative only: a key without the permission
 * still syncs by the periodic roster diff, so this never makes the credentials "not ok".
 */
import { RobloxAuditLogForbiddenError } from "./audit-log.ts";
import type { RobloxClient } from "./client.ts";
import { RobloxError } from "./errors.ts";

export interface AuditLogAccess {
  /** null: not checked (no API key, or the group could not be read). */
  readable: boolean | null;
  /** Why not, or what to grant; null when readable or not checked. */
  detail: string | null;
}

export const AUDIT_LOG_NOT_CHECKED: AuditLogAccess = { readable: null, detail: null };

export async function checkAuditLogAccess(client: RobloxClient, groupId: number): Promise<AuditLogAccess> {
  if (client.auth !== "api-key") return AUDIT_LOG_NOT_CHECKED;
  try {
    await client.readAuditLog(groupId, { limit: 10 });
    return { readable: true, detail: null };
  } catch (error) {
    if (error instanceof RobloxAuditLogForbiddenError) return { readable: false, detail: error.userMessage };
    if (error instanceof RobloxError) return { readable: false, detail: `the audit log could not be read: ${error.message}` };
    throw error;
  }
}
