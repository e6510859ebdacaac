/** What linking hands back: a phrase challenge, a finished link or unlink, and what happened to the rank roles. */
import type { VerificationMethod } from "./storage-port.ts";
import type { RoleProblem } from "../ranks/hierarchy.ts";
import type { Rank } from "../ranks/ladder.ts";
import type { NicknameOutcome } from "./member-role-editor.ts";
import type { OAuthProof } from "./roblox-sign-in.ts";
import type { RobloxUserId } from "./roblox-port.ts";

/** What happened to the member's Discord rank roles. */
export type RoleUpdate =
  /** Sent in one request (or nothing needed when both lists are empty). */
  | {
      readonly status: "applied";
      readonly added: readonly string[];
      readonly removed: readonly string[];
      /** The nickname part of the same request, when the guild has a template. */
      readonly nickname?: NicknameOutcome;
    }
  /** Nothing to do or nothing possible (src/discord/views/link-roles.ts words the reason). */
  | { readonly status: "skipped"; readonly reason: RoleUpdateSkip }
  /** The hierarchy pre-check found roles the bot may not touch; no request was sent. */
  | { readonly status: "blocked"; readonly problems: readonly RoleProblem[] }
  | { readonly status: "failed"; readonly reason: "discord-refused" };

/** rank-not-on-ladder: the member's Roblox role is not a rank here; no-ladder: no group configured any more. */
export type RoleUpdateSkip = "rank-not-on-ladder" | "no-ladder" | "not-in-guild";

export interface PhraseChallenge {
  readonly robloxUserId: RobloxUserId;
  readonly robloxUsername: string;
  readonly robloxDisplayName: string;
  /** What goes into the About text, e.g. "rankbridge: amber falcon river otter 7Q2K". */
  readonly phrase: string;
  readonly profileUrl: string;
  readonly expiresAt: number;
  /** Another Discord account of this server holds the link; the phrase is the proof that moves it. */
  readonly linkedToAnotherMember: boolean;
  readonly alreadyLinkedToYou: boolean;
}


/** What the confirmation page names before anything is linked: the Discord account and server receiving the link. */
export interface OAuthPendingLink extends OAuthProof {
  readonly guildName: string;
  readonly discordUsername: string | null;
  readonly discordDisplayName: string | null;
}

export interface LinkCompleted {
  readonly guildId: string;
  readonly discordId: string;
  readonly robloxUserId: RobloxUserId;
  readonly robloxUsername: string;
  readonly method: VerificationMethod;
  /** The ladder rank of the member's Roblox role, or null when the ladder has no such rank. */
  readonly rank: Rank | null;
  /** What Roblox calls the role, for when it is not on the ladder. */
  readonly robloxRoleName: string;
  readonly robloxRank: number;
  readonly roles: RoleUpdate;
  /** The Discord account the link was moved from (with proof), if any. */
  readonly tookOverFrom: string | null;
}

export interface UnlinkCompleted {
  readonly robloxUserId: RobloxUserId;
  readonly robloxUsername: string;
  readonly roles: RoleUpdate;
}
