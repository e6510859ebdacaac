import {
  ApplicationCommandOptionType,
  ButtonStyle,
  ComponentType,
  InteractionContextType,
  type APIActionRowComponent,
  type APIButtonComponent,
  type APIComponentInMessageActionRow,
  type APIEmbed,
} from "discord-api-types/v10";
import { formatRank, type Rank } from "../../ranks/ladder.ts";
import {
  LinkingError,
  robloxProfileUrl,
  type LinkCompleted,
  type LinkingService,
  type PhraseChallenge,
  type RoleUpdate,
} from "../../services/linking.ts";
import { requireGuild } from "./guards.ts";
import { CommandOptions } from "./options.ts";
import type { SlashCommand } from "./types.ts";
import { describeError } from "../views/errors.ts";
import { roleUpdateFixes, roleUpdateReason } from "../views/link-roles.ts";

export const LINK_ROBLOX = "link-roblox";
export const CONFIRM_ACTION = "confirm";

const COLOURS = { pending: 0x5865f2, linked: 0x2ecc71, problem: 0xe67e22 } as const;
/** The status field a failed confirm adds; replaced, not stacked, on each try. */
const STATUS_FIELD = "Not linked yet";

/** `/link-roblox username:<string>`: proves ownership of a Roblox account, then links it (design §3). */
export function linkRobloxCommand({ linking }: { linking: LinkingService }): SlashCommand {
  return {
    definition: {
      name: LINK_ROBLOX,
      description: "Link your Roblox account to this server and get your rank role",
      contexts: [InteractionContextType.Guild],
      options: [
        {
          type: ApplicationCommandOptionType.String,
          name: "username",
          description: "Your Roblox username (not the display name)",
          required: true,
          // Roblox allows 20, but odd input should reach the bot and get an explanation, not a client-side error.
          max_length: 100,
        },
      ],
    },
    ephemeral: true,
    cooldown: "link",

    async execute({ interaction, respond }) {
      const { guildId, member } = requireGuild(interaction);
      const username = new CommandOptions(interaction.data).string("username") ?? "";
      const challenge = await linking.start(guildId, member.user.id, username, { onWait: (ms) => void respond.progress(waitNote(ms)) });
      const signIn = linking.oauthAvailable ? await linking.startOAuth(guildId, member.user.id) : undefined;
      await respond.reply({
        embeds: [phraseEmbed(challenge, signIn !== undefined)],
        components: [buttonsRow(signIn?.url)],
      });
    },

    async component({ interaction, respond, action }) {
      if (action !== CONFIRM_ACTION) return;
      const { guildId, member } = requireGuild(interaction);
      // Roblox and Discord are both asked before answering; acknowledge without replacing the message yet.
      await respond.deferUpdate();
      const original = interaction.message;
      try {
        const linked = await linking.confirm(guildId, member.user.id, {
          onWait: (ms) => void respond.progress(waitNote(ms)),
          memberRoleIds: member.roles,
        });
        await respond.update({ embeds: [linkedEmbed(linked)], components: [] });
      } catch (error) {
        const sentence = describeError(error);
        if (sentence === undefined) throw error;
        const terminal = error instanceof LinkingError && (error.reason === "challenge-expired" || error.reason === "no-challenge");
        const previous = original.embeds[0] ?? { title: "Link your Roblox account" };
        await respond.update({
          embeds: [
            {
              ...previous,
              color: COLOURS.problem,
              fields: [...(previous.fields ?? []).filter((field) => field.name !== STATUS_FIELD), { name: STATUS_FIELD, value: sentence.slice(0, 1024) }],
            },
          ],
          // The button stays for another try, unless there is nothing left to confirm.
          components: terminal ? [] : (original.components as APIActionRowComponent<APIComponentInMessageActionRow>[] | undefined) ?? [],
        });
      }
    },
  };
}


/** "Roblox is limiting lookups right now; your link continues in about 40 s." */
export function waitNote(waitMs: number): string {
  return `Roblox is limiting lookups right now; your link continues in about ${formatWait(waitMs)}.`;
}

function formatWait(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  if (seconds < 90) return `${seconds} s`;
  return `${Math.ceil(seconds / 60)} min`;
}

function phraseEmbed(challenge: PhraseChallenge, signInOffered: boolean): APIEmbed {
  const expires = Math.floor(challenge.expiresAt / 1000);
  const lines = [
    `To prove **${challenge.robloxUsername}** is yours:`,
    `1. Open your profile: ${challenge.profileUrl}`,
    "2. Edit **About** and paste this phrase anywhere in it:",
    `\`${challenge.phrase}\``,
    "3. Save, then press **I've added it**.",
    "",
    `The phrase works once and expires <t:${expires}:R>. You can remove it from your About after linking.`,
  ];
  if (signInOffered) lines.push("", "Or skip the phrase: **Sign in with Roblox** proves it in your own browser (open the button yourself; don't share its link).");
  if (challenge.linkedToAnotherMember) {
    lines.push("", "This Roblox account is linked to another Discord account here. Proving ownership moves the link to you.");
  }
  if (challenge.alreadyLinkedToYou) lines.push("", "You're already linked to this account; confirming refreshes your rank role.");
  return { title: "Link your Roblox account", url: challenge.profileUrl, description: lines.join("\n"), color: COLOURS.pending };
}

function buttonsRow(signInUrl: string | undefined): APIActionRowComponent<APIButtonComponent> {
  const buttons: APIButtonComponent[] = [];
  if (signInUrl) buttons.push({ type: ComponentType.Button, style: ButtonStyle.Link, label: "Sign in with Roblox", url: signInUrl });
  buttons.push({ type: ComponentType.Button, style: ButtonStyle.Primary, label: "I've added it", custom_id: `${LINK_ROBLOX}:${CONFIRM_ACTION}` });
  return { type: ComponentType.ActionRow, components: buttons };
}

/** The success message: who is linked to whom, the rank, and what happened to the Discord role. */
export function linkedEmbed(linked: LinkCompleted): APIEmbed {
  const rankText = linked.rank ? formatRank(linked.rank) : `${linked.robloxRoleName} (Rank ${linked.robloxRank})`;
  const lines = [
    `<@${linked.discordId}> is now linked to Roblox **${linked.robloxUsername}** (${robloxProfileUrl(linked.robloxUserId)}).`,
    `Your current Roblox rank: ${rankText}`,
    rolesLine(linked.roles, linked.rank),
  ];
  if (linked.tookOverFrom) lines.push(`The link was moved from <@${linked.tookOverFrom}>.`);
  if (linked.method === "profile-phrase") lines.push("", "You can remove the phrase from your About now.");
  return { title: "Linked", description: lines.join("\n"), color: COLOURS.linked };
}

/** What happened to the member's rank role, in one line. */
function rolesLine(roles: RoleUpdate, rank: Rank | null): string {
  if (!rank) return "This rank isn't on the server's rank ladder yet, so no rank role was given.";
  switch (roles.status) {
    case "applied": {
      const given =
        rank.discordRoleId === null
          ? "This rank has no Discord role in this server."
          : roles.added.includes(rank.discordRoleId)
            ? `Rank role given: <@&${rank.discordRoleId}>.`
            : `You already have the rank role <@&${rank.discordRoleId}>.`;
      const removed = roles.removed.length > 0 ? ` Removed: ${roles.removed.map((id) => `<@&${id}>`).join(", ")}.` : "";
      return given + removed;
    }
    case "skipped":
      return `No rank role change: ${roleUpdateReason(roles)}.`;
    case "blocked":
      return `The rank role couldn't be set. An admin needs to fix this: ${roleUpdateFixes(roles)}`;
    case "failed":
      return `The rank role couldn't be set (${roleUpdateReason(roles)}). The next sync will try again.`;
  }
}
