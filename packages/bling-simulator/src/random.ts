/** Seeded randomness so ids, tokens and demo data are reproducible for a given `seed`. */
export class Rng {
  private a: number;
  constructor(seed: number) {
    this.a = seed >>> 0;
  }
  /** mulberry32 */
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
  hex(len: number): string {
    let s = "";
    while (s.length < len)
      s += Math.floor(this.next() * 0x1_0000_0000)
        .toString(16)
        .padStart(8, "0");
    return s.slice(0, len);
  }
  base64url(bytes: number): string {
    const buf = Buffer.alloc(bytes);
    for (let i = 0; i < bytes; i++) buf[i] = Math.floor(this.next() * 256);
    return buf.toString("base64url");
  }
  /** UUIDv7-shaped: 48-bit ms timestamp, then random (version nibble 7). */
  uuidV7(ms: number): string {
    const ts = Math.floor(ms).toString(16).padStart(12, "0");
    const r = this.hex(20);
    return `${ts.slice(0, 8)}-${ts.slice(8, 12)}-7${r.slice(0, 3)}-${r.slice(3, 7)}-${r.slice(7, 19)}`;
  }
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }
}

/** Bling-like ids: 11-digit integers, increasing, with gaps (other accounts share the sequence). */
export class IdSequence {
  private current: number;
  constructor(private readonly rng: Rng) {
    this.current = 16_000_000_000 + rng.int(0, 900_000_000);
  }
  next(): number {
    this.current += this.rng.int(1, 37);
    return this.current;
  }
}
