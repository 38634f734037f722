import { describe, expect, it } from "vitest";
import { nextMidnight, nextSaoPauloMidnight, timeZoneOffsetMs } from "./time-zone.js";

const iso = (d: Date) => d.toISOString();

describe("nextSaoPauloMidnight", () => {
  it("is 03:00 UTC of the next local day (Brazil has been UTC-3 all year since 2019)", () => {
    expect(iso(nextSaoPauloMidnight(new Date("2026-11-26T21:06:00Z")))).toBe("2026-11-27T03:00:00.000Z");
    // 01:30 UTC is still 22:30 of the previous local day: midnight is today's 03:00 UTC.
    expect(iso(nextSaoPauloMidnight(new Date("2026-11-27T01:30:00Z")))).toBe("2026-11-27T03:00:00.000Z");
    expect(iso(nextSaoPauloMidnight(new Date("2026-11-27T02:59:59.999Z")))).toBe("2026-11-27T03:00:00.000Z");
  });

  it("at exactly local midnight moves to the following one", () => {
    expect(iso(nextSaoPauloMidnight(new Date("2026-11-27T03:00:00Z")))).toBe("2026-11-28T03:00:00.000Z");
  });

  it("crosses month and year ends", () => {
    expect(iso(nextSaoPauloMidnight(new Date("2026-12-31T12:00:00Z")))).toBe("2027-01-01T03:00:00.000Z");
    expect(iso(nextSaoPauloMidnight(new Date("2028-02-28T23:00:00Z")))).toBe("2028-02-29T03:00:00.000Z");
  });

  it("in the old DST summer (UTC-2) midnight was 02:00 UTC; a DST start at midnight begins the day at 01:00", () => {
    expect(iso(nextSaoPauloMidnight(new Date("2018-01-10T12:00:00Z")))).toBe("2018-01-11T02:00:00.000Z");
    // 2018-11-04: clocks jumped from 00:00 to 01:00 (-02), so the day began at 03:00 UTC.
    expect(iso(nextSaoPauloMidnight(new Date("2018-11-03T20:00:00Z")))).toBe("2018-11-04T03:00:00.000Z");
    // 2019-02-17: clocks fell back from 00:00 (-02) to 23:00 (-03); the 17th began at 03:00 UTC.
    expect(iso(nextSaoPauloMidnight(new Date("2019-02-17T00:30:00Z")))).toBe("2019-02-17T03:00:00.000Z");
  });

  it("works for other zones", () => {
    expect(iso(nextMidnight(new Date("2026-06-01T10:00:00Z"), "UTC"))).toBe("2026-06-02T00:00:00.000Z");
    expect(iso(nextMidnight(new Date("2026-06-01T10:00:00Z"), "Asia/Tokyo"))).toBe(
      "2026-06-01T15:00:00.000Z",
    );
  });
});

describe("timeZoneOffsetMs", () => {
  it("is -3 h for São Paulo today and -2 h in an old DST summer", () => {
    expect(timeZoneOffsetMs(Date.parse("2026-11-26T21:06:00Z"))).toBe(-3 * 3_600_000);
    expect(timeZoneOffsetMs(Date.parse("2018-01-10T12:00:00Z"))).toBe(-2 * 3_600_000);
  });
});
