/** What the guild's Discord audit log says about a role edit of the bot's (services' RoleEditReason). */
import type { RoleEditReason } from "../../services/member-role-editor.ts";

/** Discord keeps up to 512 characters; an admin's reason is cut well before that. */
const MAX_REASON = 400;

export function roleEditAuditReason(reason: RoleEditReason): string {
  switch (reason.kind) {
    case "rank-change":
      return `${reason.intent} by ${reason.actorId}${reason.reason ? `: ${reason.reason}` : ""}`.slice(0, MAX_REASON);
    case "linked":
      return `rankbridge: linked to Roblox ${reason.robloxUsername}`;
    case "link-moved":
      return `rankbridge: Roblox ${reason.robloxUsername} was linked to another account`;
    case "unlinked":
      return "rankbridge: unlinked from Roblox";
    case "member-sync":
      return `sync${reason.actorId ? ` by ${reason.actorId}` : ""}`;
    case "member-joined":
      return "rankbridge: rank role for a linked member who joined";
    case "bulk-sync":
      return `rankbridge rank sync (run #${reason.runId})`;
    case "roblox-change":
      return `rankbridge: rank changed on Roblox${reason.actorName ? ` by ${reason.actorName}` : ""}`;
  }
}
