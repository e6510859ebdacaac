/**
 * Per-guild secrets (their Roblox API keys) are encrypted at rest with AES-256-GCM under
 * `ENCRYPTION_KEY`. The stored form is `v1.<iv>.<ciphertext+tag>` in base64url, and the guild id is
 * bound as additional data so a ciphertext copied into another guild's row does not decrypt.
 */
const VERSION = "v1";

export class SecretsUnavailableError extends Error {
  readonly userMessage =
    "This bot has no ENCRYPTION_KEY configured, so it cannot store secrets such as a Roblox API key. Ask the bot operator to set one.";
  constructor() {
    super("ENCRYPTION_KEY is not set: per-guild secrets are refused");
    this.name = "SecretsUnavailableError";
  }
}

export class SecretDecryptionError extends Error {
  constructor() {
    super("a stored secret could not be decrypted (wrong ENCRYPTION_KEY, or the value was tampered with)");
    this.name = "SecretDecryptionError";
  }
}

export class SecretBox {
  readonly #key: Promise<CryptoKey> | undefined;

  constructor(rawKey: Uint8Array | undefined) {
    this.#key = rawKey
      ? crypto.subtle.importKey("raw", new Uint8Array(rawKey), { name: "AES-GCM" }, false, ["encrypt", "decrypt"])
      : undefined;
  }

  get available(): boolean {
    return this.#key !== undefined;
  }

  async encrypt(plaintext: string, context: string): Promise<string> {
    if (!this.#key) throw new SecretsUnavailableError();
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const sealed = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(context) },
      await this.#key,
      new TextEncoder().encode(plaintext),
    );
    return [VERSION, Buffer.from(iv).toString("base64url"), Buffer.from(sealed).toString("base64url")].join(".");
  }

  async decrypt(stored: string, context: string): Promise<string> {
    if (!this.#key) throw new SecretsUnavailableError();
    const [version, iv, sealed] = stored.split(".");
    if (version !== VERSION || !iv || !sealed) throw new SecretDecryptionError();
    try {
      const plain = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: Buffer.from(iv, "base64url"), additionalData: new TextEncoder().encode(context) },
        await this.#key,
        Buffer.from(sealed, "base64url"),
      );
      return new TextDecoder().decode(plain);
    } catch {
      throw new SecretDecryptionError();
    }
  }
}
