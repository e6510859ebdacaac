/**
 * Delivers a run's progress text to the people who asked for it: edits of each /sync's deferred
 * reply while its interaction token lives (15 minutes from the command). After that the report
 * moves to the command's channel as new messages: one when it moves (with the progress so far)
 * and the summary at the end, rather than a stream of edits nobody is watching. Delivery failures
 * are logged, never thrown: a report that cannot be shown must not stop the sync.
 */
import type { Logger } from "../observability/logger.ts";
import type { MessageComponents, SyncMessages } from "./sync-messages.ts";
import type { RunWording } from "./run-report.ts";

export type { MessageComponents } from "./sync-messages.ts";

/** Where a manual run reports. */
export interface ReplyTarget {
  readonly applicationId: string;
  readonly token: string;
  /** The command's channel, for reports after the token has expired. */
  readonly channelId: string | null;
  /** When the interaction was created: its token lives `tokenTtlMs` from then. */
  readonly createdAtMs: number;
}

export interface RunReporterOptions {
  messages: SyncMessages;
  logger: Logger;
  /** Discord: 15 minutes. */
  tokenTtlMs: number;
  /** Switch to the channel this long before the token expires, so the last edit is not lost. */
  tokenMarginMs: number;
  now: () => number;
  wording: Pick<RunWording, "summaryComesHere" | "movedToChannel">;
}

interface TargetState {
  target: ReplyTarget;
  /** "gone": neither the token nor a channel can be used any more. */
  mode: "interaction" | "channel" | "gone";
}

export class RunReporter {
  readonly #targets: TargetState[] = [];
  /** Channels already told that the report continues there (several /syncs may share one). */
  readonly #announcedChannels = new Set<string>();
  #lastText: string | undefined;
  #sending: Promise<void> = Promise.resolve();
  /** The delivery queued behind the one in progress, if any. */
  #waiting: { text: string; final: boolean; components: MessageComponents | undefined } | undefined;
  /** Requests sent (edits and messages), for the run's Discord request count. */
  requestsSent = 0;

  constructor(private readonly options: RunReporterOptions) {}

  get hasTargets(): boolean {
    return this.#targets.some((state) => state.mode !== "gone");
  }

  /** Adds a reply to keep up to date; a target whose token is already too old goes to its channel. */
  addTarget(target: ReplyTarget): void {
    if (this.#targets.some((state) => state.target.token === target.token)) return;
    this.#targets.push({ target, mode: "interaction" });
  }

  /**
   * Shows `text` everywhere; skipped when nothing changed since the last call. `final` marks the
   * summary, which a channel gets as a message of its own. Calls are queued so edits never
   * overtake each other.
   */
  publish(text: string, options: { force?: boolean; final?: boolean; components?: MessageComponents } = {}): Promise<void> {
    if (!options.force && text === this.#lastText) return this.#sending;
    this.#lastText = text;
    const final = options.final ?? false;
    // While Discord is slow, texts waiting their turn collapse into the newest one.
    if (this.#waiting) {
      this.#waiting.text = text;
      this.#waiting.final ||= final;
      this.#waiting.components = options.components;
      return this.#sending;
    }
    const job = { text, final, components: options.components };
    this.#waiting = job;
    this.#sending = this.#sending.then(() => {
      this.#waiting = undefined;
      return this.#deliver(job.text, job.final, job.components);
    });
    return this.#sending;
  }

  async #deliver(text: string, final: boolean, components: MessageComponents | undefined): Promise<void> {
    const postedToChannel = new Set<string>();
    for (const state of this.#targets) {
      if (state.mode === "interaction") {
        if (this.#tokenUsable(state.target)) {
          if (await this.#editReply(state.target, text, components)) continue;
        }
        await this.#moveToChannel(state);
      }
      const channelId = state.target.channelId;
      if (state.mode !== "channel" || !channelId || postedToChannel.has(channelId)) continue;
      postedToChannel.add(channelId);
      if (!this.#announcedChannels.has(channelId)) {
        this.#announcedChannels.add(channelId);
        await this.#postInChannel(state, final ? text : `${text}\n${this.options.wording.summaryComesHere()}`, final ? components : undefined);
      } else if (final) {
        await this.#postInChannel(state, text, components);
      }
    }
  }

  /** Early enough that an edit sent now surely lands before the token expires. */
  #tokenUsable(target: ReplyTarget): boolean {
    return this.options.now() < target.createdAtMs + this.options.tokenTtlMs - this.options.tokenMarginMs;
  }

  #tokenAlive(target: ReplyTarget): boolean {
    return this.options.now() < target.createdAtMs + this.options.tokenTtlMs;
  }

  async #editReply(target: ReplyTarget, content: string, components: MessageComponents | undefined): Promise<boolean> {
    this.requestsSent++;
    // Components are always sent: a held run's buttons go away once it carries on.
    const delivery = await this.options.messages.editReply(target, { content, components: components ?? [] });
    if (delivery.ok) return true;
    this.options.logger.warn({ err: delivery.error }, "could not edit the /sync reply");
    // Gone: the token is no longer valid (expired early, or the reply was dismissed).
    return !delivery.gone;
  }

  /** Called once per target when its token runs out: say where the report continues. */
  async #moveToChannel(state: TargetState): Promise<void> {
    const channelId = state.target.channelId;
    state.mode = channelId ? "channel" : "gone";
    if (!channelId || !this.#tokenAlive(state.target)) return;
    this.requestsSent++;
    const delivery = await this.options.messages.editReply(state.target, {
      content: this.options.wording.movedToChannel(channelId),
    });
    if (!delivery.ok) this.options.logger.debug({ err: delivery.error }, "could not point the /sync reply at the channel");
  }

  async #postInChannel(state: TargetState, content: string, components?: MessageComponents): Promise<void> {
    const channelId = state.target.channelId!;
    this.requestsSent++;
    const delivery = await this.options.messages.postInChannel(channelId, { content, suppressEmbeds: true, ...(components ? { components } : {}) });
    if (delivery.ok) return;
    this.options.logger.warn({ err: delivery.error, channelId }, "could not report sync progress in the channel");
    if (delivery.gone) state.mode = "gone";
  }

  /** Waits for queued deliveries (the final summary before a run is reported finished). */
  flush(): Promise<void> {
    return this.#sending;
  }
}
