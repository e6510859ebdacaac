import type { API } from "@discordjs/core";
import {
  InteractionType,
  MessageFlags,
  type APIInteraction,
  type APIChatInputApplicationCommandInteraction,
} from "discord-api-types/v10";
import type { Logger } from "../../observability/logger.ts";
import type { Metrics } from "../../observability/metrics.ts";
import type { SlashCommand } from "../commands/types.ts";
import { InteractionResponder } from "./responder.ts";
import { describeError } from "../views/errors.ts";
import { cooldownMessage, Cooldowns } from "./cooldowns.ts";
import { runForGuild, UNSCOPED } from "../../services/guild-scope.ts";

/** What a member is told when the bot stops before (or instead of) running their command. */
export const RESTARTING_MESSAGE = "rankbridge is restarting; run the command again in a minute.";

/** Discord invalidates the token when nothing is acknowledged within 3 s; defer well before that. */
const AUTO_DEFER_AFTER_MS = 2_000;

export interface InteractionRouterOptions {
  commands: readonly SlashCommand[];
  metrics: Metrics;
  logger: Logger;
  autoDeferAfterMs?: number;
  /** Per-member and per-guild budgets of commands that declare a `cooldown` (defaults otherwise). */
  cooldowns?: Cooldowns;
  /**
   * Claims an interaction for this process; false when another process already took it. In a
   * cluster a process that RESUMEs a session another began is replayed the events since the last
   * sequence that process stored, which can include a command it already ran (design §8: nothing
   * is done twice). Undefined: one process, where a resume replays nothing already handled.
   */
  claimOnce?: (interactionId: string) => Promise<boolean>;
}


/**
 * A button or form this version does not handle: left on a message by an earlier version, or
 * forged. The person is told what to do; it is not the bot's failure.
 */
class StaleComponentError extends Error {
  readonly userMessage = "This button or form is no longer active. Run the command again.";
  override readonly name = "StaleComponentError";
}

export class InteractionRouter {
  readonly #commands: Map<string, SlashCommand>;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #cooldowns: Cooldowns;
  /** Responders of commands still running, for answering them when the bot has to stop. */
  readonly #running = new Set<InteractionResponder>();
  #accepting = true;

  constructor(private readonly options: InteractionRouterOptions) {
    this.#commands = new Map(options.commands.map((command) => [command.definition.name, command]));
    this.#cooldowns = options.cooldowns ?? new Cooldowns();
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Entry point for every INTERACTION_CREATE dispatch. Never throws. */
  handle(interaction: APIInteraction, api: API, shardId: number): Promise<void> {
    // Roblox requests made for this interaction take their guild's turn of the shared budget.
    const work = runForGuild(interaction.guild_id ?? UNSCOPED, () => this.#route(interaction, api, shardId)).catch((error) => {
      this.options.logger.error({ err: error, interactionId: interaction.id }, "interaction failed outside a handler");
    });
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work));
    return work;
  }

  /** New interactions from now on get RESTARTING_MESSAGE instead of running. */
  stopAccepting(): void {
    this.#accepting = false;
  }

  /** Stops taking new interactions and waits for those already running. */
  async drain(): Promise<void> {
    this.#accepting = false;
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /**
   * Answers every command still running and not answered yet with `message`, and makes sure its
   * handler sends nothing after that. Returns how many were answered.
   */
  async abandonWaiting(message: string): Promise<number> {
    const waiting = [...this.#running].filter((responder) => !responder.answered);
    const results = await Promise.allSettled(waiting.map((responder) => responder.abandon(message)));
    for (const result of results) {
      if (result.status === "rejected") this.options.logger.warn({ err: result.reason }, "could not tell a waiting member the bot is restarting");
    }
    return results.filter((result) => result.status === "fulfilled").length;
  }

  async #route(interaction: APIInteraction, api: API, shardId: number): Promise<void> {
    const { logger, metrics } = this.options;
    if (interaction.type === InteractionType.Ping) return;
    if (this.options.claimOnce && !(await this.options.claimOnce(interaction.id))) {
      logger.info({ interactionId: interaction.id, guildId: interaction.guild_id, shard: shardId }, "interaction already handled by another process (replayed on resume); skipped");
      metrics.interactions.inc({ command: this.#commandNameOf(interaction) ?? "unknown", outcome: "replayed" });
      return;
    }

    const commandName = this.#commandNameOf(interaction);
    const command = commandName ? this.#commands.get(commandName) : undefined;
    const label = commandName ?? "unknown";
    const log = logger.child({ interactionId: interaction.id, command: label, guildId: interaction.guild_id, shard: shardId });

    if (!this.#accepting) {
      if (interaction.type !== InteractionType.ApplicationCommandAutocomplete) {
        await api.interactions.reply(interaction.id, interaction.token, {
          content: RESTARTING_MESSAGE,
          flags: MessageFlags.Ephemeral,
        });
      }
      metrics.interactions.inc({ command: label, outcome: "refused-shutdown" });
      return;
    }

    if (interaction.type === InteractionType.ApplicationCommandAutocomplete) {
      const choices = command?.autocomplete
        ? await command.autocomplete({ interaction, api, logger: log, shardId }).catch((error) => {
            log.warn({ err: error }, "autocomplete failed");
            return [];
          })
        : [];
      await api.interactions.createAutocompleteResponse(interaction.id, interaction.token, { choices: choices.slice(0, 25) });
      metrics.interactions.inc({ command: label, outcome: "autocomplete" });
      return;
    }

    const responder = new InteractionResponder(api, interaction, command?.ephemeral ?? true);
    this.#running.add(responder);
    try {
      await this.#run(interaction, api, shardId, command, label, log, responder);
    } finally {
      this.#running.delete(responder);
    }
  }

  async #run(
    interaction: Exclude<APIInteraction, { type: InteractionType.Ping | InteractionType.ApplicationCommandAutocomplete }>,
    api: API,
    shardId: number,
    command: SlashCommand | undefined,
    label: string,
    log: Logger,
    responder: InteractionResponder,
  ): Promise<void> {
    const { metrics } = this.options;
    if (!command) {
      log.warn("unknown command");
      await responder.reply({ content: `Unknown command \`/${label}\`. Commands may still be updating; try again shortly.` });
      metrics.interactions.inc({ command: label, outcome: "unknown" });
      return;
    }

    if (command.cooldown && interaction.type !== InteractionType.ModalSubmit) {
      const userId = interaction.member?.user.id ?? interaction.user?.id ?? "unknown";
      const decision = await this.#cooldowns.take(command.cooldown, interaction.guild_id ?? "dm", userId);
      if (!decision.allowed) {
        // Nothing ran, so nothing was spent: a cheap ephemeral answer, no Roblox request.
        await responder.reply({ content: cooldownMessage(decision), flags: MessageFlags.Ephemeral, allowed_mentions: { parse: [] } });
        metrics.interactions.inc({ command: label, outcome: "cooldown" });
        return;
      }
    }

    const autoDefer = setTimeout(() => {
      responder.defer().catch((error) => log.warn({ err: error }, "could not defer"));
    }, command.deferImmediately ? 0 : (this.options.autoDeferAfterMs ?? AUTO_DEFER_AFTER_MS));

    try {
      if (interaction.type === InteractionType.ApplicationCommand) {
        await command.execute({
          interaction: interaction as APIChatInputApplicationCommandInteraction,
          api,
          logger: log,
          shardId,
          respond: responder,
        });
      } else if (interaction.type === InteractionType.MessageComponent) {
        if (!command.component) throw new StaleComponentError(`/${label} has no component handler`);
        const action = interaction.data.custom_id.slice(label.length + 1);
        await command.component({ interaction, api, logger: log, shardId, respond: responder, action });
      } else if (interaction.type === InteractionType.ModalSubmit) {
        if (!command.modal) throw new StaleComponentError(`/${label} has no modal handler`);
        const action = interaction.data.custom_id.slice(label.length + 1);
        await command.modal({ interaction, api, logger: log, shardId, respond: responder, action });
      }
      clearTimeout(autoDefer);
      if (!responder.acknowledged) await responder.reply({ content: "Done." });
      if (responder.closed) {
        metrics.interactions.inc({ command: label, outcome: "abandoned-shutdown" });
        return;
      }
      metrics.interactions.inc({ command: label, outcome: "ok" });
    } catch (error) {
      clearTimeout(autoDefer);
      if (responder.closed) {
        // The bot stopped under it (its Roblox queue was dropped) after telling the member to retry.
        log.debug({ err: error }, "command abandoned at shutdown");
        metrics.interactions.inc({ command: label, outcome: "abandoned-shutdown" });
        return;
      }
      const reference = interaction.id.slice(-6);
      const userMessage = describeError(error);
      if (userMessage) log.warn({ err: error }, "command refused");
      else log.error({ err: error, reference }, "command failed");
      metrics.interactions.inc({ command: label, outcome: userMessage ? "refused" : "error" });
      await responder
        .reply({
          content: userMessage ?? `Something went wrong running \`/${label}\`. It has been logged (reference \`${reference}\`).`,
          flags: MessageFlags.Ephemeral,
          // A refusal may quote what was typed (@everyone, <@&id>): shown, never pinging anyone.
          allowed_mentions: { parse: [] },
        })
        .catch((replyError) => log.error({ err: replyError }, "could not report the failure to the user"));
    }
  }

  /** Slash commands carry their name; components and modals carry `name:action` in their custom id. */
  #commandNameOf(interaction: APIInteraction): string | undefined {
    switch (interaction.type) {
      case InteractionType.ApplicationCommand:
      case InteractionType.ApplicationCommandAutocomplete:
        return interaction.data.name;
      case InteractionType.MessageComponent:
      case InteractionType.ModalSubmit:
        return interaction.data.custom_id.split(":")[0];
      default:
        return undefined;
    }
  }
}
