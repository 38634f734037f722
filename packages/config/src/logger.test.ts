import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";

describe("createLogger", () => {
  it("redacts secrets at any depth and in headers", () => {
    const lines: string[] = [];
    const log = createLogger({ level: "info", destination: { write: (s) => lines.push(s) } });
    log.info(
      {
        accessToken: "AT-123",
        tokens: { refresh_token: "RT-456" },
        deep: { conn: { clientSecret: "CS-789" } },
        req: { headers: { authorization: "Bearer AT-123", "x-zydon-access-key-token": "ZK-1" } },
        tenantId: "t-1",
      },
      "hello",
    );
    const out = lines.join("");
    for (const s of ["AT-123", "RT-456", "CS-789", "ZK-1"]) expect(out).not.toContain(s);
    expect(out).toContain("t-1");
    expect(out).toContain("[redacted]");
  });
});
