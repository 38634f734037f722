import { BlingClient } from "@zb/bling";
import { generateDemoAccount, startBlingSimulator } from "@zb/bling-simulator";
import { ZydonApp, type ZydonContractOverrides } from "@zb/zydon";
import { startZydonSimulator, type ZydonSimulator, type ZydonSimulatorOptions } from "@zb/zydon-simulator";
import type { BlingProbeTarget } from "./bling-checks.js";
import type { ZydonProbeTarget } from "./zydon-checks.js";

const PLUGIN_ID = "00000000-0000-4000-8000-00000000b0be";
const PLUGIN_KEY = "probe-plugin-access-key";
const BLING_APP = {
  clientId: "probe-client",
  clientSecret: "probe-secret",
  redirectUri: "https://probe.invalid/cb",
};

/**
 * Both simulators with one tenant each (the probe's default targets): a Zydon organization with the plugin
 * installed, an order and a price table made for the probe; a Bling account with a small demo catalog.
 * `zydonServes` changes the contract the simulated Zydon serves; `productContract` the product's overrides.
 */
export async function startSimulatorTargets(
  opts: { zydonServes?: ZydonSimulatorOptions["contract"]; productContract?: ZydonContractOverrides } = {},
): Promise<{
  zydon: ZydonProbeTarget;
  bling: BlingProbeTarget;
  /** The simulated Zydon (tests read its request log). */
  zydonSim: ZydonSimulator;
  close(): Promise<void>;
}> {
  const z = await startZydonSimulator(opts.zydonServes ? { contract: opts.zydonServes } : {});
  const b = await startBlingSimulator({ apps: [BLING_APP], limits: { enforce: false } });
  try {
    z.sim.registerPlugin({
      pluginId: PLUGIN_ID,
      accessKey: PLUGIN_KEY,
      name: "Probe",
      callbackUrls: ["https://probe.invalid/zydon/callback"],
      installationUrl: "http://127.0.0.1:9/install",
    });
    const org = z.sim.createOrganization({ name: "Probe Org" });
    const seeded = z.sim.seed(org.id, {
      paymentMethods: [{ name: "Pix" }],
      priceTables: [{ name: "ZB PROBE" }],
      products: [{ name: "Caneca", sku: "PROBE-1", price: 10 }],
      categories: [{ name: "Moda" }, { name: "Vestuário", parent: "Moda" }],
      brands: [{ name: "Nativa" }],
    });
    await z.sim.install(org.id, PLUGIN_ID);
    const key = z.sim.accessKeyFor(org.id, PLUGIN_ID);
    const pm = [...z.sim.org(org.id).paymentMethods.keys()][0] as string;
    const { orderId } = await z.sim.placeOrder(org.id, {
      partner: { name: "Cliente Probe", type: "PF", fiscal_registration_number: "39053344705" },
      items: [{ sku: "PROBE-1", quantity: 1 }],
      paymentMethodId: pm,
    });
    const app = new ZydonApp({
      pluginId: PLUGIN_ID,
      accessKey: PLUGIN_KEY,
      apiBaseUrl: z.url,
      adminUrl: z.url,
      timeoutMs: 5_000,
      ...(opts.productContract ? { contract: opts.productContract } : {}),
    });

    const { accountId } = b.sim.control.createAccount({ companyName: "Probe Ltda" });
    generateDemoAccount(b.sim, accountId, { products: 3, contacts: 2, paymentMethods: 1, seed: 7 });
    const { access_token } = b.sim.control.issueTokens(accountId, BLING_APP.clientId);
    const client = new BlingClient({
      baseUrl: b.apiBaseUrl,
      getAccessToken: async () => access_token,
      timeoutMs: 5_000,
    });
    return {
      zydon: {
        app,
        apiBaseUrl: z.url,
        pluginId: PLUGIN_ID,
        accessKey: PLUGIN_KEY,
        tenantKey: { code: key.code, token: key.token },
        orderId,
        priceTableId: seeded.priceTables?.["ZB PROBE"],
      },
      bling: { client, apiBaseUrl: b.apiBaseUrl },
      zydonSim: z.sim,
      close: async () => {
        await z.close();
        await b.close();
      },
    };
  } catch (err) {
    await z.close();
    await b.close();
    throw err;
  }
}
