import { MANAGE_ROLES_PERMISSION } from "./permissions.ts";
import { ApplicationCommandOptionType, type APIEmbed } from "discord-api-types/v10";
import { formatRank } from "../../ranks/ladder.ts";
import type { MemberRankInspection, MemberSyncService } from "../../services/member-sync.ts";
import { describeRobloxStanding } from "../views/member-sync.ts";
import { verifyMemberRank, type RankVerification } from "../../services/rank-verification.ts";
import { formatRankOrNone } from "../../ranks/ladder.ts";
import type { AuditTrail } from "../../services/audit-trail.ts";
import { escapeMarkdown } from "../views/markdown.ts";
import { describeSubject } from "../views/rank-change.ts";
import type { AdminCheckDependencies, SomeRepositories } from "./dependencies.ts";
import { CommandRefusedError, requireAdmin } from "./guards.ts";
import { CommandOptions } from "./options.ts";
import type { SlashCommand } from "./types.ts";

const IN_SYNC_COLOUR = 0x2ecc71;
const MISMATCH_COLOUR = 0xe67e22;

/** `/verify-rank`: the admin check, the member-sync inspection, and correcting a stale stored rank (audited). */
export type VerifyRankDependencies = AdminCheckDependencies & {
  repositories: SomeRepositories<"guilds" | "members">;
  audit: Pick<AuditTrail, "record">;
  memberSync: Pick<MemberSyncService, "inspect">;
};

/**
 * `/verify-rank member:<user>`: the member's rank in Discord, the database and Roblox side by side.
 * In sync means Discord shows the Roblox rank (the guide's definition); a stale stored rank is
 * corrected on the way and mentioned as a note.
 */
export function verifyRankCommand(deps: VerifyRankDependencies): SlashCommand {
  return {
    definition: {
      name: "verify-rank",
      description: "Compare a member's Discord rank, stored rank and Roblox rank",
      default_member_permissions: MANAGE_ROLES_PERMISSION,
      contexts: [0],
      options: [{ type: ApplicationCommandOptionType.User, name: "member", description: "The member to check", required: true }],
    },
    ephemeral: true,
    cooldown: "lookup",
    async execute({ interaction, respond }) {
      const { guildId } = await requireAdmin(interaction, deps);
      const target = new CommandOptions(interaction.data).user("member");
      if (!target) throw new CommandRefusedError("Pick a member to check.");
      if (target.user.bot) throw new CommandRefusedError("Bots don't hold ranks.");
      const inspection = await verifyMemberRank(deps, guildId, target.user.id, interaction.member?.user.id ?? "unknown");
      await respond.reply({ allowed_mentions: { parse: [] }, embeds: [verifyRankEmbed(inspection)] });
    },
  };
}

/** What the embed shows: an inspection, with the stored-rank correction when one was made. */
type ShownVerification = MemberRankInspection & Partial<Pick<RankVerification, "storedRankCorrected">>;

export function verifyRankEmbed(inspection: ShownVerification): APIEmbed {
  const fields: NonNullable<APIEmbed["fields"]> = [
    { name: "Discord rank", value: discordRankText(inspection), inline: true },
    { name: "Stored rank", value: escapeMarkdown(formatRankOrNone(inspection.storedRank)), inline: true },
    { name: "Roblox rank", value: describeRobloxStanding(inspection.roblox), inline: true },
  ];
  if (inspection.pendingRank) {
    fields.push({ name: "Queued Roblox change", value: `${escapeMarkdown(formatRank(inspection.pendingRank))}: not on Roblox yet, retried automatically` });
  }
  const corrected = inspection.storedRankCorrected;
  if (corrected) {
    fields.push({
      name: "Note",
      value: `The stored rank was ${escapeMarkdown(formatRankOrNone(corrected.from))}; it now matches Discord and Roblox.`,
    });
  }
  if (!inspection.inSync) fields.push({ name: "Suggested action", value: suggestedAction(inspection) });
  return {
    title: inspection.inSync ? "Ranks In Sync" : "Rank Mismatch Detected",
    description: describeSubject(inspection),
    color: inspection.inSync ? IN_SYNC_COLOUR : MISMATCH_COLOUR,
    fields,
  };
}

function discordRankText(inspection: ShownVerification): string {
  if (inspection.displayName === null) return "not in this server";
  const held = inspection.discordRanksHeld;
  if (held.length > 1) return `${held.map((rank) => escapeMarkdown(formatRank(rank))).join(", ")} (several rank roles)`;
  return escapeMarkdown(formatRankOrNone(inspection.discordRank));
}

/** What an admin should run; `/sync` for anything sync can fix, otherwise what sync cannot. */
function suggestedAction(inspection: ShownVerification): string {
  const sync = `\`/sync member:@${inspection.displayName ?? inspection.discordId}\` (<@${inspection.discordId}>)`;
  const plan = inspection.plan;
  if (inspection.pendingWrite && plan.kind === "in-sync") {
    return "Nothing to do: Roblox will catch up when the queued change lands. If it keeps failing, check /sync-status.";
  }
  switch (plan.kind) {
    case "unranked-role":
      return "Their Roblox role is not on the rank ladder: run `/ranks import`, then " + sync + ".";
    case "roblox-unknown":
      return "Their Roblox rank could not be read; try again shortly.";
    case "left-group":
      return `They are not in the Roblox group. Run ${sync} to clear their rank here, or have them rejoin the group.`;
    default: {
      const target = plan.toRank ? ` to set them to ${escapeMarkdown(formatRank(plan.toRank))}` : "";
      return `Run ${sync}${target}, which follows ${plan.fromPendingWrite ? "the queued Roblox change" : "their Roblox rank"}.`;
    }
  }
}
