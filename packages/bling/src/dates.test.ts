import { describe, expect, it } from "vitest";
import { assertDateWindow, formatBlingDate, formatBlingDateTime } from "./dates.js";
import { BlingRequestError } from "./errors.js";

describe("Bling date formatting", () => {
  it("formats in America/Sao_Paulo, zero-padded, with a space and no zone", () => {
    expect(formatBlingDateTime(new Date("2024-01-05T03:04:05Z"))).toBe("2024-01-05 00:04:05");
    expect(formatBlingDateTime(new Date("2024-03-01T02:59:59Z"))).toBe("2024-02-29 23:59:59");
    expect(formatBlingDate(new Date("2024-10-01T02:00:00Z"))).toBe("2024-09-30");
    expect(formatBlingDateTime(new Date("2024-12-31T15:00:00.999Z"))).toBe("2024-12-31 12:00:00");
  });

  it("uses the historical DST offset (Brazil had DST until 2019)", () => {
    // 2018-12-01 was in Brazilian summer time (UTC-2).
    expect(formatBlingDateTime(new Date("2018-12-01T12:00:00Z"))).toBe("2018-12-01 10:00:00");
  });

  it("rejects invalid dates", () => {
    expect(() => formatBlingDateTime(new Date("nope"))).toThrow(BlingRequestError);
  });
});

describe("assertDateWindow", () => {
  const start = new Date("2024-01-01T00:00:00Z");
  it("accepts up to 365 days and refuses more", () => {
    expect(() => assertDateWindow("dataAlteracao", start, new Date("2024-12-30T00:00:00Z"))).not.toThrow();
    expect(() => assertDateWindow("dataAlteracao", start, new Date("2024-12-31T00:00:01Z"))).toThrow(
      /one-year limit/,
    );
  });

  it("measures an open window to now and refuses reversed windows", () => {
    const now = () => new Date("2025-06-01T00:00:00Z");
    expect(() => assertDateWindow("x", start, undefined, now)).toThrow(BlingRequestError);
    expect(() => assertDateWindow("x", new Date("2025-01-01T00:00:00Z"), undefined, now)).not.toThrow();
    expect(() =>
      assertDateWindow("x", new Date("2025-01-02T00:00:00Z"), new Date("2025-01-01T00:00:00Z")),
    ).toThrow(/start is after the end/);
  });
});
