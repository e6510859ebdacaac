/**
 * The group lock's kick (design §3.1 `/config group-lock mode:kick`): a linked member who is not in
 * the guild's Roblox group is told why and how to come back by DM, then removed from the server,
 * and the kick is audited. The caller has checked the hierarchy first (`kickProblem`: never the
 * owner or a member at or above the bot, and only with Kick Members), so no request is sent that
 * must fail. The DM goes first: once removed, the member shares no server with the bot and a bot
 * cannot message them.
 */
import type { Logger } from "../observability/logger.ts";
import type { AuditTrail } from "./audit-trail.ts";
import type { MemberWriteResult } from "./member-role-editor.ts";

/** What the DM says; the Discord adapter words it (src/discord/views/group-lock.ts). */
export interface GroupLockDm {
  readonly guildName: string;
  readonly robloxUsername: string;
  readonly groupId: number;
}

/** The port the Discord adapter implements. */
export interface MemberKickWriter {
  /** False when the member does not accept DMs from the server (their choice, not a failure). */
  sendGroupLockDm(userId: string, dm: GroupLockDm): Promise<boolean>;
  /** DELETE /guilds/{guild}/members/{user}, with the reason in the guild's audit log; never throws for Discord's refusals. */
  kickMember(guildId: string, userId: string, reason: string): Promise<MemberWriteResult>;
  /** The guild's name, for the DM. */
  guild(guildId: string): Promise<{ name: string }>;
}

export interface KickTarget {
  readonly discordId: string;
  readonly robloxUserId: number;
  readonly robloxUsername: string;
}

export type KickOutcome =
  | { readonly kind: "kicked"; readonly dmSent: boolean }
  /** Gone from the server already (Discord 10007). */
  | { readonly kind: "left-guild" }
  /** A 403 although the pre-check passed, or another failure: Discord's own words. */
  | { readonly kind: "forbidden" | "failed"; readonly message: string };

export interface GroupLockKickerOptions {
  writer: MemberKickWriter;
  audit: Pick<AuditTrail, "record">;
  logger: Logger;
}

export class GroupLockKicker {
  constructor(private readonly options: GroupLockKickerOptions) {}

  /**
   * DMs, then kicks one member, and audits it. `pacer` is the bulk sync's shared one (none for a join).
   * @param actorId who it is done for: "system", or the admin whose run it is
   */
  async kick(guildId: string, groupId: number, target: KickTarget, context: { actorId: string; pacer?: { acquire(): Promise<void> }; trigger: string }): Promise<KickOutcome> {
    const { writer, logger } = this.options;
    const dmSent = await this.#sendDm(guildId, groupId, target);
    await context.pacer?.acquire();
    const reason = `rankbridge group lock: Roblox ${target.robloxUsername} is not in group ${groupId}`;
    const written = await writer.kickMember(guildId, target.discordId, reason);
    const outcome: KickOutcome = written.ok ? { kind: "kicked", dmSent } : written.kind === "left-guild" ? { kind: "left-guild" } : { kind: written.kind, message: written.message };
    if (outcome.kind === "left-guild") return outcome;
    await this.options.audit.record(guildId, {
      actorId: context.actorId,
      action: "member.kick",
      targetDiscordId: target.discordId,
      targetRobloxUserId: target.robloxUserId,
      before: { inGroup: false },
      after: outcome.kind === "kicked" ? { kicked: true, dmSent } : null,
      reason: `not in Roblox group ${groupId} (group lock: kick)`,
      outcome: outcome.kind === "kicked" ? "ok" : "failed",
      detail: `${context.trigger}: ${outcome.kind === "kicked" ? `removed from the server${dmSent ? " after a DM" : " (DMs closed)"}` : `not removed: ${outcome.message}`}`,
    });
    logger.info({ guildId, discordId: target.discordId, outcome: outcome.kind, dmSent }, "group lock kick");
    return outcome;
  }

  async #sendDm(guildId: string, groupId: number, target: KickTarget): Promise<boolean> {
    try {
      const { name } = await this.options.writer.guild(guildId);
      return await this.options.writer.sendGroupLockDm(target.discordId, { guildName: name, robloxUsername: target.robloxUsername, groupId });
    } catch (error) {
      // The DM is a courtesy: a failure to send it never keeps the lock from applying.
      this.options.logger.warn({ err: error, guildId, discordId: target.discordId }, "could not DM a member before the group lock kick");
      return false;
    }
  }
}
