import { ZydonApp } from "@zb/zydon";
import { afterEach, describe, expect, it } from "vitest";
import { PLUGIN_ID, PLUGIN_KEY, startWorld, type World } from "./test-support.js";

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

describe("the simulator serves the contract it is given", () => {
  it("a Zydon with another token path: the product's default path 404s, the configured one works", async () => {
    w = await startWorld({ contract: { tokenExchangePath: "/app/v2/token" } });
    const code = await w.sim.authorize(w.org.id, PLUGIN_ID, w.callbackUrl);
    await expect(w.app.exchangeCode(code, w.callbackUrl)).rejects.toMatchObject({ status: 404 });
    const corrected = new ZydonApp({
      pluginId: PLUGIN_ID,
      accessKey: PLUGIN_KEY,
      apiBaseUrl: w.url,
      adminUrl: w.url,
      contract: { tokenExchangePath: "/app/v2/token" },
    });
    const again = await w.sim.authorize(w.org.id, PLUGIN_ID, w.callbackUrl);
    await expect(corrected.exchangeCode(again, w.callbackUrl)).resolves.toMatchObject({
      organizationId: w.org.id,
    });
  });
});
