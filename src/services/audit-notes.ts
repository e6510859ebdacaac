/**
 * What an audit entry records happened, as a kind and its facts: stored in the row's `note` column
 * and worded by src/discord/views/audit-notes.ts for /audit and the log channel. No wording here,
 * so what an entry says can change without rewriting the log, and old rows read in today's words.
 */
import type { VerificationMethod } from "./storage-port.ts";
import type { RoleProblem } from "../ranks/hierarchy.ts";
import type { Rank } from "../ranks/ladder.ts";
import type { StepOutcome } from "../ranks/promotion.ts";
import type { RoleUpdate } from "./linking-types.ts";

/** A rank as a note keeps it: what its words need (name and Roblox rank), not the whole row. */
export type NotedRank = Pick<Rank, "id" | "name" | "robloxRank">;

export const notedRank = (rank: Rank): NotedRank => ({ id: rank.id, name: rank.name, robloxRank: rank.robloxRank });
export const notedRankOrNone = (rank: Rank | null): NotedRank | null => (rank ? notedRank(rank) : null);

/** How a linked member's roles were set on joining the server. */
export type MemberJoinOutcome =
  | { readonly kind: "updated"; readonly from: string | null; readonly to: string | null }
  | { readonly kind: "in-sync" }
  | { readonly kind: "not-attempted"; readonly problems: readonly RoleProblem[] }
  | { readonly kind: "failed"; readonly discordError: string };

/** The settings whose changes are noted (the rest keep a line of text). */
export type NotedSetting = "verifiedRoleId" | "unverifiedRoleId" | "nicknameTemplate" | "groupLockMode" | "minAccountAgeDays" | "syncIntervalMs" | "logChannelId";

export type AuditNote =
  /** One setting changed (`/config` or the dashboard's settings page); `value` null: unset. */
  | { readonly kind: "setting-changed"; readonly setting: NotedSetting; readonly value: string | number | null }
  | { readonly kind: "rank-change"; readonly from: NotedRank | null; readonly to: NotedRank; readonly steps: readonly StepOutcome[] }
  | {
      readonly kind: "linked";
      readonly discordId: string;
      readonly robloxUsername: string;
      readonly method: VerificationMethod;
      readonly robloxRoleName: string;
      readonly robloxRank: number;
      /** The member who held the link before, when it moved. */
      readonly movedFrom: string | null;
      readonly roles: RoleUpdate;
    }
  /** The new holder proved ownership (`method`); the old one lost the link and its rank roles. */
  | {
      readonly kind: "link-moved";
      readonly robloxUsername: string;
      readonly method: VerificationMethod;
      readonly fromDiscordId: string;
      readonly toDiscordId: string;
      readonly roles: RoleUpdate;
    }
  | { readonly kind: "unlinked"; readonly discordId: string; readonly robloxUser: string; readonly roles: RoleUpdate }
  | { readonly kind: "roblox-write-landed"; readonly targetRank: number; readonly tries: number }
  /** `robloxError`: the Roblox client's words for why no retry can help; null when it had none. */
  | { readonly kind: "roblox-write-abandoned"; readonly targetRank: number; readonly tries: number; readonly robloxError: string | null }
  | { readonly kind: "ladder-imported"; readonly rankCount: number; readonly groupId: number; readonly createdRoleCount: number }
  | { readonly kind: "stored-rank-corrected"; readonly from: NotedRank | null; readonly to: NotedRank | null }
  | {
      readonly kind: "member-synced";
      readonly discord: { readonly from: NotedRank | null; readonly to: NotedRank | null };
      readonly stored: { readonly from: NotedRank | null; readonly to: NotedRank | null };
      readonly problems: readonly MemberSyncProblem[];
    }
  | { readonly kind: "member-joined"; readonly robloxUsername: string; readonly discordId: string; readonly result: MemberJoinOutcome }
  | { readonly kind: "sync-run-update"; readonly runId: number }
  /** A change made on Roblox (read from the group's audit log by the change feed) applied here. */
  | {
      readonly kind: "roblox-change";
      /** Roblox's action type of the last entry (ChangeRank, AssignRole, LeaveGroup, ...). */
      readonly action: RobloxChangeAction;
      readonly robloxUsername: string;
      /** Rank names before and after; null: none (not in the group, or no rank). */
      readonly from: string | null;
      readonly to: string | null;
      /** Who made it on Roblox; null when Roblox names nobody. */
      readonly actorName: string | null;
      readonly actorUserId: number | null;
      /** The member did it themselves (joined, left). */
      readonly bySelf: boolean;
      readonly problems: readonly MemberSyncProblem[];
    }
  /** An admin's Apply or Cancel on a run the mass-change guard held. */
  | { readonly kind: "held-run-decided"; readonly runId: number; readonly decision: "apply" | "cancel" };

/** What stopped a one-member sync from finishing (the view says how to fix each). */
export type MemberSyncProblem =
  | { readonly kind: "role"; readonly problem: RoleProblem }
  | { readonly kind: "discord-refused"; readonly discordError: string }
  | { readonly kind: "stored-rank-not-saved" };

export type AuditNoteKind = AuditNote["kind"];

/** The Roblox audit-log actions the change feed acts on. */
export type RobloxChangeAction = "ChangeRank" | "AssignRole" | "UnassignRole" | "JoinGroup" | "LeaveGroup" | "RemoveMember" | "BanMember";
