import type { API } from "@discordjs/core";
import {
  MessageFlags,
  type APIInteractionResponseCallbackData,
  type APIModalInteractionResponseCallbackData,
} from "discord-api-types/v10";

export type ReplyBody = APIInteractionResponseCallbackData;

/**
 * Tracks whether an interaction has been acknowledged, so a handler just says `reply` and the
 * right callback (initial reply, or an edit of the deferred one) is sent.
 */
export class InteractionResponder {
  #state: "pending" | "deferred" | "replied" = "pending";
  #acknowledging: Promise<unknown> | undefined;
  /** A progress note shown in the reply ("…continues in about 40 s"); the answer must replace it. */
  #progress: Promise<unknown> | undefined;
  /** Answered for good by `abandon` (shutdown): whatever the handler still sends is dropped. */
  #closed = false;

  constructor(
    private readonly api: API,
    private readonly interaction: { id: string; token: string; application_id: string },
    private readonly ephemeral: boolean,
  ) {}

  get acknowledged(): boolean {
    return this.#state !== "pending";
  }

  /** Closed by `abandon`: the member has been told to run the command again. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Whether the handler's final answer went out (a deferral or a progress note is not one). */
  get answered(): boolean {
    return this.#state === "replied";
  }

  /**
   * Answers an interaction whose handler cannot finish (the bot is stopping) and closes the
   * responder: nothing the handler sends afterwards reaches the member.
   */
  async abandon(content: string): Promise<void> {
    if (this.#closed) return;
    await this.reply({ content, flags: MessageFlags.Ephemeral });
    this.#closed = true;
  }

  /** Defers the reply (shows "thinking…"). A no-op once acknowledged. */
  async defer(): Promise<void> {
    if (this.#closed) return;
    if (this.#state !== "pending") return this.#acknowledging?.then(() => undefined);
    this.#state = "deferred";
    this.#acknowledging = this.api.interactions.defer(this.interaction.id, this.interaction.token, {
      flags: this.ephemeral ? MessageFlags.Ephemeral : undefined,
    });
    await this.#acknowledging;
  }

  /** Defers a component interaction without a visible "thinking" state (type 6). */
  async deferUpdate(): Promise<void> {
    if (this.#closed) return;
    if (this.#state !== "pending") return;
    this.#state = "deferred";
    this.#acknowledging = this.api.interactions.deferMessageUpdate(this.interaction.id, this.interaction.token);
    await this.#acknowledging;
  }

  /**
   * Shows a note while the command goes on (deferring first if needed); the next `reply` replaces
   * it. Never throws: a note that cannot be shown must not stop the command.
   */
  progress(content: string): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const previous = this.#progress;
    const showing = (async () => {
      await previous;
      await this.defer();
      if (this.#state === "replied") return;
      await this.edit({ content });
    })().catch(() => undefined);
    this.#progress = showing;
    return showing;
  }

  /** The answer: the initial reply, or an edit of the deferred/original one. */
  async reply(body: ReplyBody): Promise<void> {
    if (this.#closed) return;
    if (this.#progress) {
      // After the note, so the note never lands on top of the answer; and clear its text.
      await this.#progress;
      body = { content: "", ...body };
    }
    if (this.#state === "pending") {
      this.#state = "replied";
      const flags = this.ephemeral ? (body.flags ?? 0) | MessageFlags.Ephemeral : body.flags;
      this.#acknowledging = this.api.interactions.reply(this.interaction.id, this.interaction.token, { ...body, flags });
      await this.#acknowledging;
      return;
    }
    await this.#acknowledging;
    this.#state = "replied";
    await this.edit(body);
  }

  /** Replaces the message a button was pressed on (type 7). */
  async update(body: ReplyBody): Promise<void> {
    if (this.#closed) return;
    if (this.#progress) {
      await this.#progress;
      body = { content: "", ...body };
    }
    if (this.#state === "pending") {
      this.#state = "replied";
      this.#acknowledging = this.api.interactions.updateMessage(this.interaction.id, this.interaction.token, body);
      await this.#acknowledging;
      return;
    }
    await this.#acknowledging;
    await this.edit(body);
  }

  async edit(body: ReplyBody): Promise<void> {
    if (this.#closed) return;
    await this.api.interactions.editReply(this.interaction.application_id, this.interaction.token, body);
  }

  async followUp(body: ReplyBody): Promise<void> {
    if (this.#closed) return;
    await this.#acknowledging;
    const flags = this.ephemeral ? (body.flags ?? 0) | MessageFlags.Ephemeral : body.flags;
    await this.api.interactions.followUp(this.interaction.application_id, this.interaction.token, { ...body, flags });
  }

  async showModal(modal: APIModalInteractionResponseCallbackData): Promise<void> {
    this.#state = "replied";
    this.#acknowledging = this.api.interactions.createModal(this.interaction.id, this.interaction.token, modal);
    await this.#acknowledging;
  }
}
