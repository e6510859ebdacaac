/**
 * Claims on queued Roblox writes (design §8: no Roblox write is done twice). Processes sharing one
 * database each run the retry; a process takes a due write by marking the row with a token of its
 * own and a time the mark lasts. The Roblox request happens outside any transaction, so the mark is
 * what keeps other processes off the row meanwhile: it is renewed while the request runs (which may
 * wait behind the rate limiter for longer than one hold), and lapses by itself if the process dies.
 */
import { randomUUID } from "node:crypto";
import type { EpochMs, PendingRobloxWrite, Repositories } from "./storage-port.ts";
import type { Logger } from "../observability/logger.ts";

export interface WriteClaimsOptions {
  pendingWrites: Pick<Repositories["pendingWrites"], "claimDue" | "renewClaim">;
  logger: Logger;
  /** Names this process in every claim token (seen in the `claimed_by` column). */
  claimantName: string;
  /** How long a claim lasts without renewal: how long a dead process's writes wait. Default 2 min. */
  holdMs?: number;
  now: () => EpochMs;
}

export interface ClaimedWrite {
  write: PendingRobloxWrite;
  /** The token the holder names to record or delete the write. */
  claimant: string;
}

export const DEFAULT_CLAIM_HOLD_MS = 120_000;

export class WriteClaims {
  readonly #options: WriteClaimsOptions;
  readonly #holdMs: number;

  constructor(options: WriteClaimsOptions) {
    this.#options = options;
    this.#holdMs = options.holdMs ?? DEFAULT_CLAIM_HOLD_MS;
  }

  /** Takes the write due longest that nobody holds, or undefined when none is due. */
  async next(): Promise<ClaimedWrite | undefined> {
    const claimant = `${this.#options.claimantName}/${randomUUID()}`;
    const [write] = await this.#options.pendingWrites.claimDue({ claimant, at: this.#options.now(), holdMs: this.#holdMs, limit: 1 });
    return write && { write, claimant };
  }

  /**
   * Runs `work` while renewing the claim every third of its hold, so a slow request keeps it. The
   * holder records the outcome itself (which lets the claim go); a renewal that finds the claim
   * taken is logged, as the write may then be sent by the new holder too.
   */
  async holding<T>(claimed: ClaimedWrite, work: () => Promise<T>): Promise<T> {
    const { write, claimant } = claimed;
    let done = false;
    const renew = () => {
      this.#options.pendingWrites
        .renewClaim(write.guildId, write.id, claimant, this.#options.now() + this.#holdMs)
        .then((held) => {
          if (!held && !done) this.#options.logger.warn({ guildId: write.guildId, pendingWriteId: write.id }, "queued Roblox write: claim lost while retrying (replaced, or held past its time)");
        })
        .catch((error: unknown) => this.#options.logger.warn({ err: error, pendingWriteId: write.id }, "queued Roblox write: could not renew the claim"));
    };
    const timer = setInterval(renew, Math.max(1, Math.floor(this.#holdMs / 3)));
    try {
      return await work();
    } finally {
      done = true;
      clearInterval(timer);
    }
  }
}
