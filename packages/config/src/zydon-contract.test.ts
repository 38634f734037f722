import { describe, expect, it } from "vitest";
import { ConfigError } from "./load-config.js";
import { zydonContractOverrides, zydonWebhookSecrets } from "./zydon-contract.js";

const files = (content: Record<string, string>) => (path: string) => {
  const c = content[path];
  if (c === undefined) throw new Error("ENOENT");
  return c;
};

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("zydonContractOverrides", () => {
  it("is empty when nothing is configured (the adapter's defaults apply)", () => {
    expect(zydonContractOverrides({})).toEqual({});
  });

  it("reads the JSON file and lets the dedicated variables win over it", () => {
    const read = files({
      "/etc/zb/zydon.json": JSON.stringify({
        tokenExchangePath: "/app/oauth/token",
        orderStatusPath: "/api/sales/orders/{orderId}/change-status",
        notFoundRetryWindowMs: 120_000,
      }),
    });
    const o = zydonContractOverrides(
      { ZYDON_CONTRACT_FILE: "/etc/zb/zydon.json", ZYDON_TOKEN_EXCHANGE_PATH: "/appcenter/token" },
      read,
    );
    expect(o).toEqual({
      tokenExchangePath: "/appcenter/token",
      orderStatusPath: "/api/sales/orders/{orderId}/change-status",
      notFoundRetryWindowMs: 120_000,
    });
    expect(zydonContractOverrides({ ZYDON_WEBHOOK_AUTH: "header" })).toEqual({ webhookAuth: "header" });
  });

  it("reports every bad entry at once: missing placeholder, unknown key, not a path", () => {
    const read = files({
      "c.json": JSON.stringify({
        orderStatusPath: "/api/sales/orders/status",
        tokenExchangePath: "app/token",
        tokenExchangePth: "/typo",
      }),
    });
    const p = problems(() => zydonContractOverrides({ ZYDON_CONTRACT_FILE: "c.json" }, read));
    expect(p).toHaveLength(3);
    expect(p.join("\n")).toContain("orderStatusPath: must contain {orderId}");
    expect(p.join("\n")).toContain("tokenExchangePath: must be a path starting with /");
    expect(p.join("\n")).toContain("tokenExchangePth");
  });

  it("takes the post-sale entries (order attributes path and names) and refuses a bad one", () => {
    const read = files({
      "p.json": JSON.stringify({
        orderAttributesPath: "/api/sales/orders/{orderId}/attributes",
        trackingCodeAttribute: "codigo_rastreio",
        deliveredAtAttribute: "entregue_em",
        cancelledInvoicesAttribute: "nfe_canceladas",
      }),
      "bad.json": JSON.stringify({ orderAttributesPath: "/api/sales/orders", trackingCodeAttribute: "a b" }),
    });
    expect(zydonContractOverrides({ ZYDON_CONTRACT_FILE: "p.json" }, read)).toEqual({
      orderAttributesPath: "/api/sales/orders/{orderId}/attributes",
      trackingCodeAttribute: "codigo_rastreio",
      deliveredAtAttribute: "entregue_em",
      cancelledInvoicesAttribute: "nfe_canceladas",
    });
    const p = problems(() => zydonContractOverrides({ ZYDON_CONTRACT_FILE: "bad.json" }, read));
    expect(p).toHaveLength(2);
    expect(p.join("\n")).toContain("orderAttributesPath: must contain {orderId}");
  });

  it("names an unreadable or non-JSON file", () => {
    const p = problems(() =>
      zydonContractOverrides({ ZYDON_CONTRACT_FILE: "bad.json" }, files({ "bad.json": "{nope" })),
    );
    expect(p[0]).toMatch(/^ZYDON_CONTRACT_FILE bad\.json cannot be read as JSON/);
  });
});

describe("zydonWebhookSecrets", () => {
  it("lists the current secret first, then the previous one during a rotation", () => {
    expect(zydonWebhookSecrets({})).toEqual([]);
    expect(
      zydonWebhookSecrets({
        ZYDON_WEBHOOK_SECRET: "new".repeat(9),
        ZYDON_WEBHOOK_PREVIOUS_SECRET: "old".repeat(9),
      }),
    ).toEqual(["new".repeat(9), "old".repeat(9)]);
  });
});
