import { describe, expect, it } from "vitest";
import { sealLegacy } from "./legacy-seal.testkit.js";
import { SecretBox, type SecretContext, SecretDecryptionError } from "./secret-box.js";

const at: SecretContext = { table: "bling_connections", column: "refresh_token_enc", rowId: "tenant-a" };

const k1 = { id: "k1", keyBase64: Buffer.alloc(32, 1).toString("base64") };
const k2 = { id: "k2", keyBase64: Buffer.alloc(32, 2).toString("base64") };

function flipByteInPart(stored: string, partIndex: number): string {
  const parts = stored.split(":");
  const buf = Buffer.from(parts[partIndex] as string, "base64url");
  buf[0] = (buf[0] as number) ^ 0x01;
  parts[partIndex] = buf.toString("base64url");
  return parts.join(":");
}

describe("SecretBox", () => {
  it("round-trips, with a fresh IV every time", () => {
    const box = new SecretBox(k1);
    const a = box.encrypt("refresh-token-ção", at);
    const b = box.encrypt("refresh-token-ção", at);
    expect(a).not.toBe(b);
    expect(a).not.toContain("refresh-token");
    expect(a.split(":")[0]).toBe("gcm2");
    expect(a.split(":")[1]).toBe("k1");
    expect(Buffer.from(a.split(":")[2] as string, "base64url")).toHaveLength(12);
    expect(box.decrypt(a, at)).toBe("refresh-token-ção");
    expect(box.decrypt(b, at)).toBe("refresh-token-ção");
  });

  it("fails loudly on a flipped byte in the cipher text, the tag or the IV", () => {
    const box = new SecretBox(k1);
    const sealed = box.encrypt("access-token", at);
    for (const part of [2, 3, 4]) {
      expect(() => box.decrypt(flipByteInPart(sealed, part), at)).toThrow(SecretDecryptionError);
    }
  });

  it("refuses a value relabelled to another key id, and unknown formats", () => {
    const box = new SecretBox(k1, [k2]);
    const sealed = box.encrypt("x", at);
    expect(() => box.decrypt(sealed.replace(":k1:", ":k2:"), at)).toThrow(SecretDecryptionError);
    expect(() => box.decrypt(sealed.replace("gcm2:", "gcm1:"), at)).toThrow(SecretDecryptionError);
    expect(() => box.decrypt("plaintext", at)).toThrow(/unknown format/);
  });

  it("a value opens only in its own place: another tenant's row, another column or table fails (issue 21 #11)", () => {
    const box = new SecretBox(k1);
    const sealed = box.encrypt("refresh-token", at);
    expect(box.decrypt(sealed, { ...at })).toBe("refresh-token");
    for (const elsewhere of [
      { ...at, rowId: "tenant-b" },
      { ...at, column: "access_token_enc" },
      { ...at, table: "zydon_credentials" },
    ]) {
      expect(() => box.decrypt(sealed, elsewhere), JSON.stringify(elsewhere)).toThrow(SecretDecryptionError);
    }
    // Parts cannot be shifted across the separator to make two places collide.
    expect(() => box.encrypt("x", { ...at, column: "a\nb" })).toThrow(/single-line/);
    expect(() => box.encrypt("x", { ...at, rowId: "" })).toThrow(/non-empty/);
  });

  it("a legacy gcm1 value still opens (anywhere: it bound no place) and needs rotation", () => {
    const box = new SecretBox(k1);
    const legacy = sealLegacy(k1, "old-token");
    expect(box.formatOf(legacy)).toBe("gcm1");
    expect(box.decrypt(legacy, at)).toBe("old-token");
    expect(box.needsRotation(legacy)).toBe(true);
    const resealed = box.encrypt(box.decrypt(legacy, at), at);
    expect(box.formatOf(resealed)).toBe("gcm2");
    expect(box.needsRotation(resealed)).toBe(false);
    expect(() => box.decrypt(flipByteInPart(legacy, 4), at)).toThrow(SecretDecryptionError);
  });

  it("rotation: decrypts with either key, encrypts with the new one", () => {
    const old = new SecretBox(k1);
    const sealedOld = old.encrypt("token", at);
    const rotated = new SecretBox(k2, [k1]);
    expect(rotated.decrypt(sealedOld, at)).toBe("token");
    expect(rotated.needsRotation(sealedOld)).toBe(true);
    const resealed = rotated.encrypt("token", at);
    expect(rotated.keyIdOf(resealed)).toBe("k2");
    expect(rotated.needsRotation(resealed)).toBe(false);
    // Once the old key is removed, old values can no longer be read: rotation must run first.
    expect(() => new SecretBox(k2).decrypt(sealedOld, at)).toThrow(/no key with id k1/);
  });

  it("validates keys at construction", () => {
    expect(() => new SecretBox({ id: "k1", keyBase64: Buffer.alloc(16).toString("base64") })).toThrow(
      /32 bytes/,
    );
    expect(() => new SecretBox(k1, [{ ...k2, id: "k1" }])).toThrow(/used twice/);
  });
});
