/**
 * `/config api-key` and `/config api-key-clear`: a guild's own Roblox Open Cloud key (design §10).
 * A visiting guild writes Roblox ranks only with such a key, and only once Roblox confirms its
 * owner may change ranks in the guild's group; the check itself lives in the application layer
 * (`GuildContexts.checkApiKey`), the wording here.
 */
import { ComponentType, TextInputStyle, type APIModalSubmitInteraction } from "discord-api-types/v10";
import { SecretsUnavailableError } from "../../security/secrets.ts";
import type { GuildKeyCheck } from "../../services/guild-key-check.ts";
import type { ConfigCommandDependencies } from "./config.ts";
import { CommandRefusedError, requireAdmin } from "./guards.ts";
import type { CommandContext, ModalContext } from "./types.ts";
import { escapeMarkdown } from "../views/markdown.ts";

export const API_KEY_ACTION = "api-key";
const API_KEY_INPUT_ID = "api-key";
/** Open Cloud keys are long; Discord allows up to 4000 characters in a text input. */
const API_KEY_MAX_LENGTH = 4_000;

const NEEDS_GROUP = "Set the Roblox group first with /config group; the key is checked against it.";

export async function askForApiKey(deps: ConfigCommandDependencies, { interaction, respond }: CommandContext) {
  const { guildId } = await requireAdmin(interaction, deps);
  // Refuse before the admin pastes a key that could not be kept.
  if (!deps.secrets.available) throw new SecretsUnavailableError();
  const groupId = deps.contexts.groupIdOf(guildId, await deps.repositories.guilds.get(guildId));
  if (!groupId) throw new CommandRefusedError(NEEDS_GROUP);
  await respond.showModal({
    custom_id: `config:${API_KEY_ACTION}`,
    title: "Roblox Open Cloud API key",
    components: [
      {
        type: ComponentType.Label,
        label: "API key",
        description: `Needs group:read and group:write for group ${groupId}. Stored encrypted, never shown again.`,
        component: {
          type: ComponentType.TextInput,
          custom_id: API_KEY_INPUT_ID,
          style: TextInputStyle.Short,
          required: true,
          min_length: 1,
          max_length: API_KEY_MAX_LENGTH,
        },
      },
    ],
  });
}

export async function storeApiKey(deps: ConfigCommandDependencies, { interaction, respond }: ModalContext) {
  const { guildId, actor } = await requireAdmin(interaction, deps);
  if (!deps.secrets.available) throw new SecretsUnavailableError();
  const apiKey = submittedText(interaction, API_KEY_INPUT_ID)?.trim();
  if (!apiKey) throw new CommandRefusedError("The API key was empty. Run /config api-key again and paste the key.");
  // A key is one printable line; anything else cannot even be sent as a header (fetch would throw).
  if (!/^[\x21-\x7e]+$/.test(apiKey)) {
    throw new CommandRefusedError(
      "That isn't a Roblox API key: a key is one line of letters, digits and symbols, without spaces. Copy it again from Creator Dashboard → API Keys.",
    );
  }
  const settings = await deps.repositories.guilds.get(guildId);
  const groupId = deps.contexts.groupIdOf(guildId, settings);
  if (!groupId) throw new CommandRefusedError(NEEDS_GROUP);
  await respond.defer();

  const check = await deps.contexts.checkApiKey(apiKey, groupId);
  if (!check.readable) throw new CommandRefusedError(readRefusal(check, groupId));
  await deps.settings.storeApiKey({ guildId, actorId: actor.userId, apiKey, groupId, canWriteRanks: check.write.canWrite });
  await respond.reply({
    content:
      `API key saved (encrypted). rankbridge now uses it for **${escapeMarkdown(check.groupName)}** (${groupId}).` +
      (check.write.canWrite
        ? " Roblox confirmed it may change ranks there."
        : `\n⚠️ Roblox says this key can't change ranks in group ${groupId}, so rank changes from this server are refused until it can: ` +
          `give the key the group:write scope for this group, and its owner a role with the "Change rank" permission.`),
  });
}

/** The key must read the guild's group; a key that cannot is refused with what to change. */
function readRefusal(check: Extract<GuildKeyCheck, { readable: false }>, groupId: number): string {
  switch (check.reason) {
    case "key-rejected":
      return "Roblox rejected this API key. Check that you copied all of it and that it is enabled and not expired (Creator Dashboard → API Keys).";
    case "group-not-visible":
      return `This API key can't read group ${groupId}. In Creator Dashboard → API Keys, add the group with the group:read and group:write scopes.`;
    case "unavailable":
      return `The key could not be checked: ${check.error.userMessage} Nothing was saved.`;
  }
}

/** A text input's value, whether the modal came back with action rows (legacy) or labels. */
function submittedText(interaction: APIModalSubmitInteraction, customId: string): string | undefined {
  for (const component of interaction.data.components) {
    if (component.type === ComponentType.ActionRow) {
      const input = component.components.find((child) => child.custom_id === customId);
      if (input) return input.value;
    } else if (component.type === ComponentType.Label) {
      const child = component.component;
      if (child.custom_id === customId && child.type === ComponentType.TextInput) return child.value;
    }
  }
  return undefined;
}

export async function clearApiKey(deps: ConfigCommandDependencies, { interaction, respond }: CommandContext) {
  const { guildId, actor } = await requireAdmin(interaction, deps);
  const home = deps.contexts.isHome(guildId);
  if (!await deps.settings.clearApiKey(guildId, actor.userId)) {
    await respond.reply({
      content: home
        ? "This server has no API key of its own; rankbridge already uses the bot's credentials."
        : "This server has no API key of its own.",
    });
    return;
  }
  await respond.reply({
    content: home
      ? "API key removed. rankbridge uses the bot's own Roblox credentials for this server again."
      : "API key removed. rankbridge reads public Roblox data for this server with the bot's credentials, and changes no Roblox rank for it until a key is stored again.",
  });
}
