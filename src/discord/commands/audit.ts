import { ApplicationCommandOptionType } from "discord-api-types/v10";
import type { AuditEntry } from "../../db/schema.ts";
import type { AdminCheckDependencies, SomeRepositories } from "./dependencies.ts";
import { CommandRefusedError, requireAdmin } from "./guards.ts";
import { LADDER_COLOUR } from "./list-ranks.ts";
import { CommandOptions } from "./options.ts";
import { MANAGE_ROLES_PERMISSION } from "./permissions.ts";
import { describeMember } from "./points.ts";
import type { SlashCommand } from "./types.ts";
import { escapeMarkdown } from "../views/markdown.ts";
import { auditEntryDetail, auditEntryReason } from "../views/audit-notes.ts";

const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 25;
const DESCRIPTION_BUDGET = 3_900;
const VALUE_PREVIEW_LENGTH = 60;

/** `/audit member [limit]`: the latest audit entries about one member, newest first. */
/** `/audit` reads a member's audit entries after the admin check. */
export interface AuditCommandDependencies extends AdminCheckDependencies {
  repositories: SomeRepositories<"guilds" | "members" | "audit">;
}

export function auditCommand(deps: AuditCommandDependencies): SlashCommand {
  return {
    definition: {
      name: "audit",
      description: "Show the latest recorded changes for a member",
      default_member_permissions: MANAGE_ROLES_PERMISSION,
      contexts: [0],
      options: [
        { type: ApplicationCommandOptionType.User, name: "member", description: "The member", required: true },
        {
          type: ApplicationCommandOptionType.Integer,
          name: "limit",
          description: `How many entries (default ${DEFAULT_LIMIT}, at most ${MAX_LIMIT})`,
          min_value: 1,
          max_value: MAX_LIMIT,
        },
      ],
    },
    ephemeral: true,
    async execute({ interaction, respond }) {
      const { guildId } = await requireAdmin(interaction, deps);
      const options = new CommandOptions(interaction.data);
      const target = options.user("member");
      if (!target) throw new CommandRefusedError("Pick the member.");
      const requested = options.integer("limit") ?? DEFAULT_LIMIT;
      if (!Number.isSafeInteger(requested) || requested < 1 || requested > MAX_LIMIT) {
        throw new CommandRefusedError(`The limit must be a whole number from 1 to ${MAX_LIMIT}.`);
      }

      const stored = await deps.repositories.members.get(guildId, target.user.id);
      const entries = await deps.repositories.audit.listForMember(guildId, target.user.id, requested);
      const who = describeMember(target.user.id, stored);
      if (entries.length === 0) {
        await respond.reply({ content: `Nothing is recorded about ${who} yet.`, allowed_mentions: { parse: [] } });
        return;
      }

      const lines: string[] = [];
      let length = 0;
      for (const entry of entries) {
        const line = auditLine(entry);
        if (length + line.length + 1 > DESCRIPTION_BUDGET) break;
        lines.push(line);
        length += line.length + 1;
      }
      if (lines.length < entries.length) lines.push(`…and ${entries.length - lines.length} more.`);
      await respond.reply({
        content: `Latest ${entries.length === 1 ? "entry" : `${entries.length} entries`} for ${who}, newest first:`,
        embeds: [{ title: "Audit log", color: LADDER_COLOUR, description: lines.join("\n") }],
        allowed_mentions: { parse: [] },
      });
    },
  };
}

/** One compact line: when, what, who, the change, why. */
export function auditLine(entry: AuditEntry): string {
  const when = `<t:${Math.floor(entry.createdAt / 1000)}:R>`;
  const by = entry.actorId === "system" ? "rankbridge" : `<@${entry.actorId}>`;
  const change = describeChange(entry.before, entry.after);
  const outcome = entry.outcome === "ok" ? "" : ` **(${entry.outcome})**`;
  const givenReason = auditEntryReason(entry);
  const reason = givenReason ? ` · "${escapeMarkdown(preview(givenReason))}"` : "";
  const detailText = change ? null : auditEntryDetail(entry);
  const detail = detailText ? ` · ${escapeMarkdown(preview(detailText))}` : "";
  return `${when} \`${entry.action}\`${outcome} by ${by}${change ? ` · ${change}` : ""}${detail}${reason}`;
}

/** `10 → 15` for one changed value, `key: a → b` for named ones; empty when nothing was kept. */
function describeChange(before: unknown, after: unknown): string {
  if (before === null && after === null) return "";
  if (isRecord(before) && isRecord(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
      (key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]),
    );
    if (keys.length === 1 && keys[0] === "points") return `${show(before.points)} → ${show(after.points)}`;
    return keys.map((key) => `${key}: ${show(before[key])} → ${show(after[key])}`).join(", ");
  }
  return `${show(before)} → ${show(after)}`;
}

function show(value: unknown): string {
  if (value === null || value === undefined) return "none";
  return escapeMarkdown(preview(typeof value === "string" ? value : JSON.stringify(value)));
}

function preview(text: string): string {
  const flat = text.replace(/\s+/g, " ");
  return flat.length <= VALUE_PREVIEW_LENGTH ? flat : `${flat.slice(0, VALUE_PREVIEW_LENGTH - 1)}…`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
