import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/**
 * AES-256-GCM for secrets at rest. Each value is stored as one string that carries everything needed to
 * decrypt it: `gcm2:<keyId>:<iv>:<tag>:<ciphertext>` (base64url parts, 12-byte random IV, 16-byte tag).
 * The key id lets two keys coexist during rotation: decrypt with either, encrypt with the current one.
 *
 * The associated data binds the format, the key id and where the value lives (table, column, and the row's
 * tenant or other owner id): a ciphertext copied into another tenant's row or another column fails to
 * decrypt (issue 21 #11). Values of the first format (`gcm1:`, key id only in the associated data) still
 * decrypt, and count as needing rotation, so `pnpm secrets:rotate` moves them to `gcm2:`.
 */
const FORMAT = "gcm2";
const LEGACY_FORMAT = "gcm1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretDecryptionError extends Error {
  constructor(reason: string) {
    super(`secret could not be decrypted: ${reason}`);
    this.name = "SecretDecryptionError";
  }
}

/** Where a sealed value is stored: bound into its associated data, so it only opens there. */
export interface SecretContext {
  /** Table (or store) name, e.g. `bling_connections`. */
  table: string;
  /** Column (or field) name, e.g. `refresh_token_enc`. */
  column: string;
  /** The owner of the row: the tenant id for every credentials table. */
  rowId: string;
}

function contextAad(keyId: string, ctx: SecretContext): Buffer {
  for (const [name, v] of Object.entries(ctx)) {
    // A separator inside a part could make two different places share one associated data.
    if (typeof v !== "string" || v.length === 0 || v.includes("\n")) {
      throw new Error(`secret context ${name} must be a non-empty single-line string`);
    }
  }
  return Buffer.from([`${FORMAT}:${keyId}`, ctx.table, ctx.column, ctx.rowId].join("\n"), "utf8");
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

  encrypt(plaintext: string, context: SecretContext): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.current.key, iv, { authTagLength: TAG_BYTES });
    // Key id and place in the authenticated data: a value can be neither relabelled nor moved.
    cipher.setAAD(contextAad(this.current.id, context));
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

  /**
   * Opens a value sealed for `context`. A legacy `gcm1:` value carries no place in its associated data and
   * opens anywhere until `pnpm secrets:rotate` re-seals it.
   */
  decrypt(stored: string, context: SecretContext): string {
    const parts = stored.split(":");
    const format = parts[0];
    if (parts.length !== 5 || (format !== FORMAT && format !== LEGACY_FORMAT)) {
      throw new SecretDecryptionError("unknown format");
    }
    const [, keyId, ivB64, tagB64, ctB64] = parts as [string, string, string, string, string];
    const key = this.keys.get(keyId);
    if (!key) throw new SecretDecryptionError(`no key with id ${keyId} is configured`);
    const iv = Buffer.from(ivB64, "base64url");
    const tag = Buffer.from(tagB64, "base64url");
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES)
      throw new SecretDecryptionError("bad iv or tag length");
    const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(
      format === FORMAT ? contextAad(keyId, context) : Buffer.from(`${LEGACY_FORMAT}:${keyId}`),
    );
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(Buffer.from(ctB64, "base64url")), decipher.final()]).toString(
        "utf8",
      );
    } catch {
      throw new SecretDecryptionError(
        "authentication failed (tampered, moved from another row or column, or wrong key)",
      );
    }
  }

  keyIdOf(stored: string): string | undefined {
    const parts = stored.split(":");
    return parts[0] === FORMAT || parts[0] === LEGACY_FORMAT ? parts[1] : undefined;
  }

  /** `gcm2`, `gcm1` (legacy: no place bound), or undefined for anything else. */
  formatOf(stored: string): "gcm2" | "gcm1" | undefined {
    const f = stored.split(":")[0];
    return f === FORMAT ? FORMAT : f === LEGACY_FORMAT ? LEGACY_FORMAT : undefined;
  }

  /** True when the value was sealed with a key other than the current one, or in the legacy format. */
  needsRotation(stored: string): boolean {
    return this.formatOf(stored) !== FORMAT || this.keyIdOf(stored) !== this.current.id;
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
