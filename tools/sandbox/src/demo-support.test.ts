import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import { solidPng, startImageCdn } from "@zb/e2e-kit";
import { afterAll, describe, expect, it } from "vitest";
import { webBuildReason } from "./web-build.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("settings page build check", () => {
  it("asks for a build when dist is missing or older than a source file, not otherwise", () => {
    const web = mkdtempSync(join(tmpdir(), "zb-web-"));
    dirs.push(web);
    mkdirSync(join(web, "src", "components"), { recursive: true });
    writeFileSync(join(web, "src", "components", "a.tsx"), "export const a = 1;\n");
    writeFileSync(join(web, "index.html"), "<div id=root></div>");
    expect(webBuildReason(web)).toBe("not built yet");

    mkdirSync(join(web, "dist"));
    writeFileSync(join(web, "dist", "index.html"), "built");
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(web, "src", "components", "a.tsx"), old, old);
    utimesSync(join(web, "src", "components"), old, old);
    utimesSync(join(web, "src"), old, old);
    utimesSync(join(web, "index.html"), old, old);
    expect(webBuildReason(web)).toBeNull();

    const later = new Date(Date.now() + 60_000);
    utimesSync(join(web, "src", "components", "a.tsx"), later, later);
    expect(webBuildReason(web)).toBe("sources changed since the last build");
  });
});

describe("demo image server", () => {
  it("encodes a valid solid-colour PNG", () => {
    const png = solidPng(4, [10, 20, 30]);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.readUInt32BE(16)).toBe(4); // IHDR width
    const idatLen = png.readUInt32BE(33);
    expect(png.subarray(37, 41).toString("ascii")).toBe("IDAT");
    const raw = inflateSync(png.subarray(41, 41 + idatLen));
    expect(raw.length).toBe(4 * (1 + 4 * 3));
    expect([...raw.subarray(1, 4)]).toEqual([10, 20, 30]);
  });

  it("answers the same image for the same path and 404 for anything else", async () => {
    const cdn = await startImageCdn();
    try {
      const a = await fetch(`${cdn.url}/produtos/12-1.png`);
      expect(a.status).toBe(200);
      expect(a.headers.get("content-type")).toBe("image/png");
      const bytes = Buffer.from(await a.arrayBuffer());
      const again = Buffer.from(await (await fetch(`${cdn.url}/produtos/12-1.png`)).arrayBuffer());
      expect(again.equals(bytes)).toBe(true);
      expect((await fetch(`${cdn.url}/produtos/12-1.exe`)).status).toBe(404);
    } finally {
      await cdn.close();
    }
  });
});
