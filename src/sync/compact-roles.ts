/**
 * Members' roles of one guild in a compact form: what the sync keeps per member is one map entry
 * from the user id to a shared, frozen role list. Role ids are interned in a per-guild table, and
 * each distinct role set (in the order Discord sent it) exists once however many members hold it,
 * so a large guild costs one entry per member held, not one array and a string per role each.
 *
 * The chunk payload a member came from is not referenced: what is kept is built from the table.
 */

/**
 * Rough per-object sizes in JavaScriptCore (Bun): an estimate for `/metrics`, of the order the
 * live heap in bench/large-guild.ts shows (29 MB in all for 50,000 linked members, links included).
 */
const BYTES_PER_MEMBER_ENTRY = 48;
const BYTES_PER_STRING = 24;
const BYTES_PER_ARRAY = 32;
const BYTES_PER_SLOT = 8;

export class CompactMemberRoles {
  /** Role id → its index in `#roleIds`; the packed form of a role set is its indexes as characters. */
  readonly #roleIndex = new Map<string, number>();
  readonly #roleIds: string[] = [];
  /** Packed role set → the one frozen list every member with that set shares. */
  readonly #roleSets = new Map<string, readonly string[]>();
  readonly #members = new Map<string, readonly string[]>();
  #keyChars = 0;

  get size(): number {
    return this.#members.size;
  }

  /** Distinct role sets held (for the size estimate and tests). */
  get distinctRoleSets(): number {
    return this.#roleSets.size;
  }

  get(userId: string): readonly string[] | undefined {
    return this.#members.get(userId);
  }

  has(userId: string): boolean {
    return this.#members.has(userId);
  }

  set(userId: string, roleIds: readonly string[]): void {
    const previous = this.#members.has(userId);
    this.#members.set(userId, this.#intern(roleIds));
    if (!previous) this.#keyChars += userId.length;
  }

  delete(userId: string): void {
    if (this.#members.delete(userId)) this.#keyChars -= userId.length;
  }

  keys(): IterableIterator<string> {
    return this.#members.keys();
  }

  entries(): IterableIterator<[string, readonly string[]]> {
    return this.#members.entries();
  }

  [Symbol.iterator](): IterableIterator<[string, readonly string[]]> {
    return this.entries();
  }

  /**
   * Approximate bytes held: map entries and user-id keys per member, plus the role table and the
   * shared role sets. An estimate for `/metrics`, not a heap walk.
   */
  approximateBytes(): number {
    let bytes = this.#members.size * (BYTES_PER_MEMBER_ENTRY + BYTES_PER_STRING) + this.#keyChars;
    for (const roleId of this.#roleIds) bytes += BYTES_PER_MEMBER_ENTRY + BYTES_PER_STRING + roleId.length + BYTES_PER_SLOT;
    for (const [packed, roles] of this.#roleSets) {
      bytes += BYTES_PER_MEMBER_ENTRY + BYTES_PER_STRING + packed.length * 2 + BYTES_PER_ARRAY + roles.length * BYTES_PER_SLOT;
    }
    return bytes;
  }

  #intern(roleIds: readonly string[]): readonly string[] {
    let packed = "";
    for (const roleId of roleIds) {
      let index = this.#roleIndex.get(roleId);
      if (index === undefined) {
        index = this.#roleIds.length;
        // A copy of the id, so the table does not keep a substring of a chunk's text alive.
        this.#roleIds.push(` ${roleId}`.slice(1));
        this.#roleIndex.set(this.#roleIds[index]!, index);
      }
      packed += String.fromCodePoint(index);
    }
    let shared = this.#roleSets.get(packed);
    if (!shared) {
      shared = Object.freeze(Array.from(packed, (char) => this.#roleIds[char.codePointAt(0)!]!));
      this.#roleSets.set(packed, shared);
    }
    return shared;
  }
}

/** Approximate bytes of a set of user ids (its entries and keys), for the same estimate. */
export function approximateIdSetBytes(ids: ReadonlySet<string> | undefined): number {
  // Snowflakes are 17 to 20 digits; 19 is today's.
  return ids ? ids.size * (BYTES_PER_MEMBER_ENTRY + BYTES_PER_STRING + 19) : 0;
}
