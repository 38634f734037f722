import { describe, expect, it } from "vitest";
import { SecretBox, SecretDecryptionError } from "./secret-box.js";

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
    const a = box.encrypt("refresh-token-ção");
    const b = box.encrypt("refresh-token-ção");
    expect(a).not.toBe(b);
    expect(a).not.toContain("refresh-token");
    expect(a.split(":")[1]).toBe("k1");
    expect(Buffer.from(a.split(":")[2] as string, "base64url")).toHaveLength(12);
    expect(box.decrypt(a)).toBe("refresh-token-ção");
    expect(box.decrypt(b)).toBe("refresh-token-ção");
  });

  it("fails loudly on a flipped byte in the cipher text, the tag or the IV", () => {
    const box = new SecretBox(k1);
    const sealed = box.encrypt("access-token");
    for (const part of [2, 3, 4]) {
      expect(() => box.decrypt(flipByteInPart(sealed, part))).toThrow(SecretDecryptionError);
    }
  });

  it("refuses a value relabelled to another key id, and unknown formats", () => {
    const box = new SecretBox(k1, [k2]);
    const sealed = box.encrypt("x");
    expect(() => box.decrypt(sealed.replace(":k1:", ":k2:"))).toThrow(SecretDecryptionError);
    expect(() => box.decrypt("plaintext")).toThrow(/unknown format/);
  });

  it("rotation: decrypts with either key, encrypts with the new one", () => {
    const old = new SecretBox(k1);
    const sealedOld = old.encrypt("token");
    const rotated = new SecretBox(k2, [k1]);
    expect(rotated.decrypt(sealedOld)).toBe("token");
    expect(rotated.needsRotation(sealedOld)).toBe(true);
    const resealed = rotated.encrypt("token");
    expect(rotated.keyIdOf(resealed)).toBe("k2");
    expect(rotated.needsRotation(resealed)).toBe(false);
    // Once the old key is removed, old values can no longer be read: rotation must run first.
    expect(() => new SecretBox(k2).decrypt(sealedOld)).toThrow(/no key with id k1/);
  });

  it("validates keys at construction", () => {
    expect(() => new SecretBox({ id: "k1", keyBase64: Buffer.alloc(16).toString("base64") })).toThrow(
      /32 bytes/,
    );
    expect(() => new SecretBox(k1, [{ ...k2, id: "k1" }])).toThrow(/used twice/);
  });
});
