import {
  ComponentType,
  InteractionType,
  type APIApplicationCommandInteractionDataOption,
  type APIMessage,
} from "discord-api-types/v10";
import type { DiscordEmulator, InjectedInteraction } from "../emulators/discord/index.ts";
import type { RobloxEmulator } from "../emulators/roblox/index.ts";

/**
 * Acting as a person in Discord against the emulator: run a command, press a button, read the
 * answer the way a member reads it. Shared by the sandbox and the end-to-end tests.
 */

/** The text a person would read in a reply: content, then each embed's title, description and fields. */
export function readable(message: Pick<APIMessage, "content" | "embeds">): string {
  const parts = [message.content];
  for (const embed of message.embeds ?? []) {
    parts.push(embed.title ?? "", embed.description ?? "", ...(embed.fields ?? []).map((f) => `${f.name}: ${f.value}`));
  }
  return parts.filter(Boolean).join("\n");
}

/** A sync's in-flight report; its final summary replaces it. */
const SYNC_IN_FLIGHT = /^\*\*Rank sync(?: \(dry run\))?\*\*(?::| in progress)/;

/** Waits for the interaction's final answer: the immediate reply, or the edit of a deferred one. */
export async function answerOf(interaction: InjectedInteraction, replacing?: APIMessage, timeoutMs = 30_000): Promise<APIMessage> {
  await interaction.waitForCallback(timeoutMs);
  const before = replacing ? readable(replacing) : "";
  return interaction.waitForMessage((m) => {
    const text = readable(m);
    return text.length > 0 && text !== before && !SYNC_IN_FLIGHT.test(text);
  }, timeoutMs);
}

export async function runCommand(
  discord: DiscordEmulator,
  guildId: string,
  userId: string,
  commandName: string,
  options: APIApplicationCommandInteractionDataOption[] = [],
  timeoutMs?: number,
): Promise<{ interaction: InjectedInteraction; answer: APIMessage; text: string }> {
  const interaction = discord.injectInteraction({ guildId, userId, commandName, options });
  const answer = await answerOf(interaction, undefined, timeoutMs);
  return { interaction, answer, text: readable(answer) };
}

export async function pressButton(
  discord: DiscordEmulator,
  guildId: string,
  userId: string,
  customId: string,
  on: APIMessage,
): Promise<{ answer: APIMessage; text: string }> {
  const interaction = discord.injectInteraction({
    guildId,
    userId,
    type: InteractionType.MessageComponent,
    componentType: ComponentType.Button,
    customId,
    message: on.id,
  });
  const answer = await answerOf(interaction, on);
  return { answer, text: readable(answer) };
}

/**
 * The whole ownership proof: `/link-roblox`, the phrase pasted into the Roblox About text, then
 * the confirm button. Returns what each step showed.
 */
export async function linkByPhrase(
  discord: DiscordEmulator,
  roblox: RobloxEmulator,
  guildId: string,
  player: { discordId: string; robloxUserId: number; robloxUsername: string },
): Promise<{ started: string; phrase: string; confirmed: string }> {
  const started = await runCommand(discord, guildId, player.discordId, "link-roblox", [
    { name: "username", type: 3, value: player.robloxUsername },
  ]);
  const phrase = /`([^`]+)`/.exec(started.text)?.[1];
  if (!phrase) throw new Error(`no phrase in the /link-roblox reply:\n${started.text}`);
  roblox.setUserDescription(player.robloxUserId, `Proud member. ${phrase}`);
  const confirmed = await pressButton(discord, guildId, player.discordId, "link-roblox:confirm", started.answer);
  return { started: started.text, phrase, confirmed: confirmed.text };
}
