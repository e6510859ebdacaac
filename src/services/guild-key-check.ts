/**
 * Asks Roblox what a guild's own API key may do in a group, without changing anything: the reads
 * of the start-up check (group, roles) and its no-op write probe (`probeRankWrite`). Used when a
 * key is stored and, cached, before a rank write with it (design §10: a visiting guild writes only
 * with a key whose owner Roblox confirms may manage that group).
 */
import type { Logger } from "../observability/logger.ts";
import type { KeyWriteCheck } from "./roblox-access.ts";
import { RobloxError, type RobloxErrorKind, type RobloxRankWriter } from "./roblox-port.ts";

export type GuildKeyCheck =
  | { readonly readable: true; readonly groupName: string; readonly write: KeyWriteCheck }
  | {
      readonly readable: false;
      /** Why the group could not be read with the key. */
      readonly reason: "key-rejected" | "group-not-visible" | "unavailable";
      readonly error: RobloxError;
    };

/** A confirmation stays good this long; a refusal is re-asked sooner, since it is usually being fixed. */
const CONFIRMED_TTL_MS = 10 * 60_000;
const REFUSED_TTL_MS = 60_000;

export class GuildKeyChecks {
  readonly #cache = new WeakMap<RobloxRankWriter, Map<number, { check: KeyWriteCheck; at: number }>>();

  constructor(private readonly options: { logger: Logger; now?: () => number }) {}

  /** Reads the group with the key, then probes rank writes. Never throws for Roblox failures. */
  async check(client: RobloxRankWriter, groupId: number): Promise<GuildKeyCheck> {
    let groupName: string;
    try {
      groupName = (await client.getGroup(groupId)).name;
      const roles = await client.listRoles(groupId);
      const problems: string[] = [];
      const canWrite = await client.probeRankWrite(groupId, roles, (_setting, message) => problems.push(message));
      const write: KeyWriteCheck = canWrite ? { canWrite: true } : { canWrite: false, unavailable: false, detail: problems[0] ?? null };
      this.#remember(client, groupId, write);
      return { readable: true, groupName, write };
    } catch (error) {
      if (!(error instanceof RobloxError)) throw error;
      return { readable: false, reason: readFailure(error.kind), error };
    }
  }

  /** Whether the key may write ranks in the group, from the cache when it is fresh. */
  async confirmWrite(client: RobloxRankWriter, groupId: number): Promise<KeyWriteCheck> {
    const now = this.#now();
    const cached = this.#cache.get(client)?.get(groupId);
    if (cached && now - cached.at < (cached.check.canWrite ? CONFIRMED_TTL_MS : REFUSED_TTL_MS)) return cached.check;
    const result = await this.check(client, groupId);
    if (result.readable) return result.write;
    const unavailable = result.reason === "unavailable";
    this.options.logger.warn(
      { groupId, kind: result.error.kind, status: result.error.status },
      "a guild's own Roblox API key could not be confirmed for rank writes",
    );
    const check: KeyWriteCheck = { canWrite: false, unavailable, detail: result.error.apiMessage ?? result.error.kind };
    if (!unavailable) this.#remember(client, groupId, check);
    return check;
  }

  /** Forgets what was learnt about a key (a new key was stored, or the old one removed). */
  forget(client: RobloxRankWriter): void {
    this.#cache.delete(client);
  }

  #remember(client: RobloxRankWriter, groupId: number, check: KeyWriteCheck): void {
    let byGroup = this.#cache.get(client);
    if (!byGroup) {
      byGroup = new Map();
      this.#cache.set(client, byGroup);
    }
    byGroup.set(groupId, { check, at: this.#now() });
  }

  #now(): number {
    return (this.options.now ?? Date.now)();
  }
}

function readFailure(kind: RobloxErrorKind): "key-rejected" | "group-not-visible" | "unavailable" {
  switch (kind) {
    case "invalid_credentials":
      return "key-rejected";
    case "missing_permission":
    case "group_not_found":
      return "group-not-visible";
    default:
      return "unavailable";
  }
}
