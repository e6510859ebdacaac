/**
 * Whose Roblox credential acts for which guild (design §10), as a typed value: every feature gets
 * its Roblox reads and, separately, its permission to write ranks from here, so no caller can
 * reach the operator's credential for a write by forgetting a check.
 *
 * - Home guilds (HOME_GUILD_IDS): the operator's credential reads and writes for them, unless the
 *   guild stored a key of its own, which then does both.
 * - Visiting guilds: read public data through the operator's credential (or their own key); write
 *   ranks only with their own stored key, and only once Roblox confirmed (side-effect free) that
 *   its owner may change ranks in the guild's group.
 * - A stored key that cannot be decrypted is an error for that guild: reads go through the
 *   operator's credential like any guild's public reads, but nothing is written for it.
 *
 * No wording here: refusals are typed; Discord-facing code says what to do.
 */
import type { RobloxAuditLogReader, RobloxRankWriter, RobloxReader } from "./roblox-port.ts";

export type { RobloxReader } from "./roblox-port.ts";

/** Which credential a client acts with. */
export type CredentialOwner = "operator" | "guild-key";

/** What the guild's own stored key is like. */
export type StoredKeyState = "none" | "usable" | "unusable";

export type RobloxWriteRefusal =
  /** A visiting guild with no key of its own: the operator's credential never writes for it. */
  | { readonly kind: "visiting-without-key"; readonly groupId: number }
  /** The guild stored a key that cannot be decrypted (ENCRYPTION_KEY changed or missing). */
  | { readonly kind: "stored-key-unusable"; readonly groupId: number }
  /** Roblox says the guild's key may not change ranks in the group (scope, permission, revoked). */
  | { readonly kind: "key-cannot-manage-group"; readonly groupId: number; readonly detail: string | null }
  /** Roblox could not be asked whether the key may write; nothing was sent. */
  | { readonly kind: "check-unavailable"; readonly groupId: number; readonly detail: string | null };

export type RobloxWriteAccess =
  | { readonly allowed: true; readonly client: RobloxRankWriter; readonly credential: CredentialOwner }
  | { readonly allowed: false; readonly refusal: RobloxWriteRefusal };

/** The decision for one guild, resolved once per command or run. */
export interface RobloxAccess {
  readonly guildId: string;
  readonly home: boolean;
  readonly storedKey: StoredKeyState;
  /** Whose credential `read` uses. */
  readonly readCredential: CredentialOwner;
  readonly read: RobloxReader;
  /** The same credential as `read`, for the group audit log (the change feed decides whether it may use it). */
  readonly auditLog: RobloxAuditLogReader;
  /**
   * May this guild change ranks in `groupId`, and with which client? Sends no write: a guild key is
   * confirmed with reads and a no-op probe (cached), so a refusal comes before any write is sent.
   */
  writer(groupId: number): Promise<RobloxWriteAccess>;
}

/** A rank write that the guild's access refuses; thrown before anything is sent. */
export class RobloxWriteRefusedError extends Error {
  override readonly name = "RobloxWriteRefusedError";
  constructor(readonly refusal: RobloxWriteRefusal) {
    super(`Roblox rank write refused: ${refusal.kind} (group ${refusal.groupId})`);
  }
}

/** Result of asking Roblox whether a key may change ranks in a group. */
export type KeyWriteCheck =
  | { readonly canWrite: true }
  | { readonly canWrite: false; readonly unavailable: boolean; readonly detail: string | null };

export interface AccessInputs {
  guildId: string;
  home: boolean;
  operator: RobloxRankWriter;
  /** The guild's own client when it stored a key that decrypts. */
  guildKey: RobloxRankWriter | undefined;
  storedKey: StoredKeyState;
  /** Confirms (with a cache) that a guild key may write ranks in a group. */
  confirmWrite: (client: RobloxRankWriter, groupId: number) => Promise<KeyWriteCheck>;
}

/** The one place where the rules above become a value. */
export function decideRobloxAccess(inputs: AccessInputs): RobloxAccess {
  const { guildId, home, operator, guildKey, storedKey } = inputs;
  const read = guildKey ?? operator;
  return {
    guildId,
    home,
    storedKey,
    readCredential: guildKey ? "guild-key" : "operator",
    read,
    auditLog: read,
    async writer(groupId) {
      if (storedKey === "unusable") return refuse({ kind: "stored-key-unusable", groupId });
      if (guildKey) {
        const check = await inputs.confirmWrite(guildKey, groupId);
        if (check.canWrite) return { allowed: true, client: guildKey, credential: "guild-key" };
        return refuse(
          check.unavailable
            ? { kind: "check-unavailable", groupId, detail: check.detail }
            : { kind: "key-cannot-manage-group", groupId, detail: check.detail },
        );
      }
      if (home) return { allowed: true, client: operator, credential: "operator" };
      return refuse({ kind: "visiting-without-key", groupId });
    },
  };
}

function refuse(refusal: RobloxWriteRefusal): RobloxWriteAccess {
  return { allowed: false, refusal };
}
