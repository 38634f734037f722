import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import { deflateSync } from "node:zlib";

/**
 * The demo's product images. generateDemoAccount links images on a made-up CDN host that a machine without
 * internet cannot reach (every image job would fail and retry); the demo serves them itself instead: each
 * path answers a small PNG whose colour follows from the path, so the same link is always the same image.
 */

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A solid-colour RGB PNG. */
export function solidPng(size: number, rgb: [number, number, number]): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(size * 3)]);
  for (let x = 0; x < size; x++) row.set(rgb, 1 + x * 3);
  const raw = Buffer.concat(Array.from({ length: size }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

export interface ImageCdn {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function startImageCdn(opts: { host?: string; port?: number } = {}): Promise<ImageCdn> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://cdn").pathname;
    if (req.method !== "GET" || !path.endsWith(".png")) {
      res.writeHead(404).end();
      return;
    }
    const h = createHash("sha256").update(path).digest();
    const png = solidPng(64, [
      64 + ((h[0] as number) % 160),
      64 + ((h[1] as number) % 160),
      64 + ((h[2] as number) % 160),
    ]);
    res.writeHead(200, {
      "content-type": "image/png",
      "content-length": png.length,
      "cache-control": "public, max-age=86400",
    });
    res.end(png);
  });
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : (opts.port ?? 0);
  return {
    url: `http://${host}:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
