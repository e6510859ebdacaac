import { describe, expect, test } from "bun:test";
import { SecretBox, SecretDecryptionError, SecretsUnavailableError } from "../../src/security/secrets.ts";

const key = crypto.getRandomValues(new Uint8Array(32));

describe("per-guild secrets", () => {
  test("round-trip, and the ciphertext does not contain the secret", async () => {
    const box = new SecretBox(key);
    const sealed = await box.encrypt("rbx-api-key-123", "guild:1");
    expect(sealed).not.toContain("rbx-api-key-123");
    expect(sealed).toStartWith("v1.");
    expect(await box.decrypt(sealed, "guild:1")).toBe("rbx-api-key-123");
    expect(await box.encrypt("same", "guild:1")).not.toBe(await box.encrypt("same", "guild:1"));
  });

  test("a ciphertext moved to another guild, tampered with, or read under another key fails", async () => {
    const box = new SecretBox(key);
    const sealed = await box.encrypt("secret", "guild:1");
    await expect(box.decrypt(sealed, "guild:2")).rejects.toBeInstanceOf(SecretDecryptionError);
    const tampered = sealed.slice(0, -2) + (sealed.endsWith("A") ? "BB" : "AA");
    await expect(box.decrypt(tampered, "guild:1")).rejects.toBeInstanceOf(SecretDecryptionError);
    await expect(new SecretBox(crypto.getRandomValues(new Uint8Array(32))).decrypt(sealed, "guild:1")).rejects.toBeInstanceOf(
      SecretDecryptionError,
    );
  });

  test("without ENCRYPTION_KEY secrets are refused with a message for the user", async () => {
    const box = new SecretBox(undefined);
    expect(box.available).toBe(false);
    const error = await box.encrypt("x", "guild:1").catch((e) => e);
    expect(error).toBeInstanceOf(SecretsUnavailableError);
    expect(error.userMessage).toContain("ENCRYPTION_KEY");
  });
});
