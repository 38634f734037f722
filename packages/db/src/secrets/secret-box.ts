import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/**
 * AES-256-GCM for secrets at rest. Each value is stored as one string that carries everything needed to
 * decrypt it: `gcm1:<keyId>:<iv>:<tag>:<ciphertext>` (base64url parts, 12-byte random IV, 16-byte tag).
 * The key id lets two keys coexist during rotation: decrypt with either, encrypt with the current one.
 */
const FORMAT = "gcm1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretDecryptionError extends Error {
  constructor(reason: string) {
    super(`secret could not be decrypted: ${reason}`);
    this.name = "SecretDecryptionError";
  }
}

export interface SecretKey {
  id: string;
  /** 32 bytes, base64. */
  keyBase64: string;
}

export class SecretBox {
  private readonly current: { id: string; key: Buffer };
  private readonly keys: Map<string, Buffer>;

  constructor(current: SecretKey, previous: SecretKey[] = []) {
    this.keys = new Map();
    for (const k of [current, ...previous]) {
      const key = Buffer.from(k.keyBase64, "base64");
      if (key.length !== 32) throw new Error(`secret key ${k.id} must be 32 bytes of base64`);
      if (!/^[a-z0-9-]{1,32}$/.test(k.id)) throw new Error(`secret key id ${k.id} is invalid`);
      if (this.keys.has(k.id)) throw new Error(`secret key id ${k.id} is used twice`);
      this.keys.set(k.id, key);
    }
    this.current = { id: current.id, key: this.keys.get(current.id) as Buffer };
  }

  get currentKeyId(): string {
    return this.current.id;
  }

  encrypt(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.current.key, iv, { authTagLength: TAG_BYTES });
    // Bind the key id into the authenticated data so a value cannot be relabelled to another key.
    cipher.setAAD(Buffer.from(`${FORMAT}:${this.current.id}`));
    const ct = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [
      FORMAT,
      this.current.id,
      iv.toString("base64url"),
      tag.toString("base64url"),
      ct.toString("base64url"),
    ].join(":");
  }

  decrypt(stored: string): string {
    const parts = stored.split(":");
    if (parts.length !== 5 || parts[0] !== FORMAT) throw new SecretDecryptionError("unknown format");
    const [, keyId, ivB64, tagB64, ctB64] = parts as [string, string, string, string, string];
    const key = this.keys.get(keyId);
    if (!key) throw new SecretDecryptionError(`no key with id ${keyId} is configured`);
    const iv = Buffer.from(ivB64, "base64url");
    const tag = Buffer.from(tagB64, "base64url");
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES)
      throw new SecretDecryptionError("bad iv or tag length");
    const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(`${FORMAT}:${keyId}`));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(Buffer.from(ctB64, "base64url")), decipher.final()]).toString(
        "utf8",
      );
    } catch {
      throw new SecretDecryptionError("authentication failed (tampered value or wrong key)");
    }
  }

  keyIdOf(stored: string): string | undefined {
    const parts = stored.split(":");
    return parts[0] === FORMAT ? parts[1] : undefined;
  }

  /** True when the value was sealed with a key other than the current one. */
  needsRotation(stored: string): boolean {
    return this.keyIdOf(stored) !== this.current.id;
  }
}

export function secretBoxFromConfig(cfg: {
  SECRETS_KEY: string;
  SECRETS_KEY_ID: string;
  SECRETS_PREVIOUS_KEY?: string | undefined;
  SECRETS_PREVIOUS_KEY_ID?: string | undefined;
}): SecretBox {
  const previous: SecretKey[] = [];
  if (cfg.SECRETS_PREVIOUS_KEY) {
    if (!cfg.SECRETS_PREVIOUS_KEY_ID)
      throw new Error("SECRETS_PREVIOUS_KEY_ID is required with SECRETS_PREVIOUS_KEY");
    previous.push({ id: cfg.SECRETS_PREVIOUS_KEY_ID, keyBase64: cfg.SECRETS_PREVIOUS_KEY });
  }
  return new SecretBox({ id: cfg.SECRETS_KEY_ID, keyBase64: cfg.SECRETS_KEY }, previous);
}
