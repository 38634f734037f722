import { describe, expect, it } from "vitest";
import { shareWindows } from "./share-windows.js";

describe("shareWindows", () => {
  it("an integer share is one 1 s window", () => {
    expect(shareWindows(2)).toEqual([{ limit: 2, windowMs: 1000 }]);
    expect(shareWindows(3)).toEqual([{ limit: 3, windowMs: 1000 }]);
  });

  it("a fractional share caps each second and the average over the smallest whole span", () => {
    expect(shareWindows(1.5)).toEqual([
      { limit: 2, windowMs: 1000 },
      { limit: 3, windowMs: 2000 },
    ]);
    expect(shareWindows(0.5)).toEqual([
      { limit: 1, windowMs: 1000 },
      { limit: 1, windowMs: 2000 },
    ]);
    expect(shareWindows(2.25)).toEqual([
      { limit: 3, windowMs: 1000 },
      { limit: 9, windowMs: 4000 },
    ]);
  });

  it("other fractions round down over 10 s; nonsense is refused", () => {
    expect(shareWindows(1.37)).toEqual([
      { limit: 2, windowMs: 1000 },
      { limit: 13, windowMs: 10_000 },
    ]);
    expect(() => shareWindows(0)).toThrow(RangeError);
    expect(() => shareWindows(Number.NaN)).toThrow(RangeError);
  });
});
