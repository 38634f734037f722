import { describe, expect, it } from "vitest";
import {
  buildPluginManifest,
  MANIFEST_FILES,
  manifestUrls,
  parsePluginManifest,
  renderPluginManifest,
  SECRET_PLACEHOLDER,
} from "./manifest.js";
import { parseYaml, toYaml } from "./yaml.js";

describe("plugin manifest", () => {
  const m = buildPluginManifest({
    publicBaseUrl: "https://bling.example.com",
    pluginId: "3f9a0c1e-0000-4000-8000-00000000b11e",
    webhookSecret: 'se"cret: #1',
  });

  it("declares the keys of Zydon's template (zydon-api.md §2.4) with our URLs", () => {
    const c = m.configuration;
    expect(c.auth).toEqual({
      type: "basic",
      client_id: "3f9a0c1e-0000-4000-8000-00000000b11e",
      callback_uri: "https://bling.example.com/zydon/callback",
    });
    expect(c.uninstallation_endpoint.url).toBe("https://bling.example.com/zydon/notifications/uninstall");
    expect(manifestUrls(m).map((u) => `${u.method} ${new URL(u.url).pathname}`)).toEqual([
      "GET /zydon/callback",
      "GET /zydon/is-alive",
      "POST /zydon/notifications/install",
      "POST /zydon/notifications/uninstall",
      "POST /webhooks/zydon/orders",
      "POST /webhooks/zydon/orders/updated",
    ]);
    expect(m.webhooks[0]?.headers).toEqual([{ name: "x-zb-webhook-secret", value: 'se"cret: #1' }]);
    // The order-update webhook (zydon-api.md §9 [ZS-233]): its own id and URL, the same header secret.
    expect(m.webhooks[1]).toMatchObject({ id: "zb-order-updated", resource: "ORDER", event: "UPDATED" });
    expect(m.webhooks[1]?.headers).toEqual(m.webhooks[0]?.headers);
  });

  it("renders YAML that reads back to the same manifest, comments and odd characters included", () => {
    const files = renderPluginManifest(m);
    expect(files[MANIFEST_FILES.configuration]).toContain("# INFERENCE: Zydon's permission vocabulary");
    expect(parsePluginManifest(files)).toEqual(m);
  });

  it("without a secret writes a placeholder (the committed example)", () => {
    const example = buildPluginManifest({ publicBaseUrl: "https://x.test", pluginId: "p" });
    expect(example.webhooks.map((w) => w.headers[0]?.value)).toEqual([
      SECRET_PLACEHOLDER,
      SECRET_PLACEHOLDER,
    ]);
  });

  it("the YAML subset refuses what it cannot read instead of guessing", () => {
    expect(
      parseYaml(
        toYaml({
          a: [
            { b: 1, c: [] },
            { b: 2, c: ["x"] },
          ],
          d: { e: null },
        }),
      ),
    ).toEqual({
      a: [
        { b: 1, c: [] },
        { b: 2, c: ["x"] },
      ],
      d: { e: null },
    });
    expect(() => parseYaml("a: unquoted text")).toThrow(/not a JSON scalar/);
    expect(() => parseYaml("a:\n  b: 1\n c: 2")).toThrow(/indentation/);
  });
});
