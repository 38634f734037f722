import { describe, expect, it } from "vitest";
import { judgePrice } from "./price-hold.js";

describe("judgePrice", () => {
  it("writes a first price, the same price, and a move within the limit", () => {
    expect(judgePrice(50, undefined, 80, undefined)).toEqual({ write: 80, next: undefined, note: null });
    expect(judgePrice(50, 0, 80, undefined)).toEqual({ write: 80, next: undefined, note: null });
    expect(judgePrice(50, 80, 80, undefined)).toEqual({ write: 80, next: undefined, note: null });
    expect(judgePrice(50, 80, 120, undefined)).toEqual({ write: 120, next: undefined, note: null });
    expect(judgePrice(50, 80, 40, undefined)).toEqual({ write: 40, next: undefined, note: null });
  });

  it("holds a move beyond the limit either way, once", () => {
    expect(judgePrice(50, 80, 120.01, undefined)).toEqual({
      write: 80,
      next: { held: 120.01 },
      note: "hold",
    });
    expect(judgePrice(50, 80, 39.99, undefined)).toEqual({ write: 80, next: { held: 39.99 }, note: "hold" });
    expect(judgePrice(50, 80, 200, { held: 200 })).toEqual({ write: 80, next: { held: 200 }, note: null });
    // Another big move replaces the held one (the same row, new numbers).
    expect(judgePrice(50, 80, 300, { held: 200 })).toEqual({ write: 80, next: { held: 300 }, note: "hold" });
  });

  it("closes a hold when Bling goes back or moves within the limit", () => {
    expect(judgePrice(50, 80, 80, { held: 200 })).toEqual({ write: 80, next: null, note: "reverted" });
    expect(judgePrice(50, 80, 90, { held: 200 })).toEqual({ write: 90, next: null, note: "replaced" });
  });

  it("passes an applied price once and keeps a discarded one out while Bling keeps it", () => {
    expect(judgePrice(50, 80, 200, { approved: 200 })).toEqual({ write: 200, next: null, note: null });
    expect(judgePrice(50, 80, 200, { discarded: 200 })).toEqual({
      write: 80,
      next: { discarded: 200 },
      note: null,
    });
    expect(judgePrice(50, 80, 250, { discarded: 200 })).toEqual({
      write: 80,
      next: { held: 250 },
      note: "hold",
    });
    expect(judgePrice(50, 80, 85, { discarded: 200 })).toEqual({ write: 85, next: null, note: null });
  });

  it("off (null): every price is written, an applied or discarded one still honoured", () => {
    expect(judgePrice(null, 80, 8000, undefined)).toEqual({ write: 8000, next: undefined, note: null });
    expect(judgePrice(null, 80, 200, { discarded: 200 })).toEqual({
      write: 80,
      next: { discarded: 200 },
      note: null,
    });
  });
});
