/** The vocabulary of a rank change: what is asked, what comes back, why it is refused, and the Discord port it needs. */
import type { PendingRobloxWrite } from "./storage-port.ts";
import type { GuildMemberView } from "./discord-port.ts";
import type { RankChangeDecision, RankChangeDenial } from "../ranks/authority.ts";
import type { BotStanding, RoleProblem } from "../ranks/hierarchy.ts";
import type {
  AlreadyAtBottomRankError,
  AlreadyAtTopRankError,
  AmbiguousRankError,
  EmptyLadderError,
  Rank,
  RankId,
  RankNotInLadderError,
  UnknownRankError,
} from "../ranks/ladder.ts";
import type { NotRankedError } from "../ranks/promotion.ts";
import type { OverallOutcome, PointsShortfall, RankChangeDm, RankChangeIntent, RankDirection, RankSource, StepOutcome } from "../ranks/promotion.ts";
import type { MemberRolesWriter } from "./member-role-editor.ts";

/**
 * The one Roblox call a rank change makes with the writer its guild's access allowed. `ladderRoleIds`
 * (the Roblox roles of the guild's ladder) lets it replace the member's ladder rank and keep every
 * other role they hold in the group (multi-role membership).
 */
export type RobloxWriter = {
  setRank(groupId: number, userId: number, roleId: number, options?: { ladderRoleIds?: readonly number[] }): Promise<{ changed: boolean }>;
};

export type RankChangeKind = RankChangeIntent["kind"];

/** What the caller asks for; a set rank may be a rank id (a button) or what someone typed. */
export type RankChangeRequestIntent = { kind: "promote" } | { kind: "demote" } | { kind: "set"; rank: RankId | string };

export interface RankChangeOptions {
  reason?: string | null;
  /** The admin already confirmed a promotion past the member's points. */
  confirmPoints?: boolean;
  /**
   * The target rank the admin confirmed. If the member's rank moved in the meantime the target
   * differs, and acting on an old confirmation would give a rank nobody agreed to.
   */
  expectedTargetRankId?: RankId;
}

export type RankChangeRefusal =
  | RankChangeDenial
  | "not-linked"
  | "bot-target"
  | "rank-rules"
  | "unknown-rank"
  | "discord-hierarchy"
  | "target-changed";

/** The facts a refusal's reply needs (the view words it). */
export interface RankChangeRefusalFacts {
  /** The member the change was about. */
  readonly memberId?: string;
  /** target-changed: the rank the member would now move to. */
  readonly nextRank?: Rank;
  /** discord-hierarchy: what the bot may not touch (the view words one fix each). */
  readonly problems?: readonly RoleProblem[];
  /** rank-rules, unknown-rank: the ladder's typed refusal. */
  readonly ladderError?: LadderRefusal;
  /** The authority denials: the domain's decision, with the ranks it names. */
  readonly denial?: Extract<RankChangeDecision, { allowed: false }>;
  /** unknown-rank from typed text: point at the rank list. */
  readonly suggestList?: boolean;
}

/** The ladder's refusals of a rank change (top, bottom, unranked, empty, unknown or ambiguous rank). */
export type LadderRefusal =
  | AlreadyAtTopRankError
  | AlreadyAtBottomRankError
  | NotRankedError
  | EmptyLadderError
  | RankNotInLadderError
  | UnknownRankError
  | AmbiguousRankError;

/** The change was not made at all; `reason` and `facts` say why (src/discord/views/rank-change.ts words it). */
export class RankChangeRefusedError extends Error {
  override readonly name = "RankChangeRefusedError";
  constructor(
    readonly reason: RankChangeRefusal,
    readonly facts: RankChangeRefusalFacts = {},
  ) {
    super(`rank change refused: ${reason}`);
  }
}

/** The member a change is about, as replies name them (design §3: both the Discord member and the Roblox username). */
export interface RankChangeSubject {
  discordId: string;
  /** Null when they are not in the server. */
  displayName: string | null;
  robloxUserId: number;
  robloxUsername: string;
  points: number;
}

export interface RobloxStepFailure {
  /** The Roblox client's words for what went wrong; null when it had none (the view words that case). */
  robloxError: string | null;
  /** The write waits in the retry queue; absent when no retry can help. */
  queued: PendingRobloxWrite | null;
}

export type RankChangeResult =
  | {
      status: "needs-confirmation";
      intent: RankChangeKind;
      member: RankChangeSubject;
      from: Rank | null;
      to: Rank;
      shortfall: PointsShortfall;
      reason: string | null;
    }
  | {
      status: "done";
      intent: RankChangeKind;
      member: RankChangeSubject;
      from: Rank | null;
      fromSource: RankSource | null;
      to: Rank;
      direction: RankDirection;
      steps: StepOutcome[];
      outcome: OverallOutcome;
      robloxFailure: RobloxStepFailure | null;
      reason: string | null;
      auditId: number;
    };

/** The Discord side the service needs (DiscordGuilds implements it). */
export interface RankChangeDiscord extends MemberRolesWriter {
  guild(guildId: string): Promise<{ name: string; ownerId: string }>;
  member(guildId: string, userId: string): Promise<GuildMemberView | null>;
  botStanding(guildId: string): Promise<BotStanding>;
  /** Sends the member the rank-change DM (worded by the Discord view); false when they do not accept DMs from the server. */
  sendRankChangeDm(userId: string, dm: RankChangeDm, context: { guildName: string }): Promise<boolean>;
}
