/**
 * Where a sync's reports and held-run notices are shown: its /sync replies and channels. Declared
 * here; the Discord adapter (src/discord/sync-messages.ts) sends them and classifies the answers.
 */
import type { APIActionRowComponent, APIComponentInMessageActionRow } from "discord-api-types/v10";

/** Buttons under a report (a held run's Apply / Cancel). */
export type MessageComponents = APIActionRowComponent<APIComponentInMessageActionRow>[];

/** A delivery that did not land; `gone` when that reply or channel can never be written to again. */
export type Delivery = { readonly ok: true } | { readonly ok: false; readonly gone: boolean; readonly error: unknown };

export interface SyncMessage {
  readonly content: string;
  /** Absent: leave the message's buttons as they are (an edit) or send none (a new message). */
  readonly components?: MessageComponents;
}

export interface SyncMessages {
  /** Edits the deferred reply of a /sync; gone when its token is no longer valid. */
  editReply(target: { readonly applicationId: string; readonly token: string }, message: SyncMessage): Promise<Delivery>;
  /** Posts a new message; gone when the bot can no longer see or write in the channel. */
  postInChannel(channelId: string, message: SyncMessage & { readonly suppressEmbeds?: boolean }): Promise<Delivery>;
}
