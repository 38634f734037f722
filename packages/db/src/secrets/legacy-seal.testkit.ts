import { createCipheriv, randomBytes } from "node:crypto";

/**
 * Tests only: a value as the first secret-box format sealed it (`gcm1:<keyId>:<iv>:<tag>:<ct>`, only format
 * and key id in the associated data), to prove such values still open and that rotation re-seals them.
 */
export function sealLegacy(key: { id: string; keyBase64: string }, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", Buffer.from(key.keyBase64, "base64"), iv, {
    authTagLength: 16,
  });
  cipher.setAAD(Buffer.from(`gcm1:${key.id}`));
  const ct = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return ["gcm1", key.id, ...[iv, cipher.getAuthTag(), ct].map((b) => b.toString("base64url"))].join(":");
}
