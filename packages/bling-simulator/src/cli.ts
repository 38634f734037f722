/**
 * `pnpm --filter @zb/bling-simulator start`: a Bling API v3 simulator with one demo account, on PORT (default 4010).
 * The OAuth app comes from BLING_CLIENT_ID / BLING_CLIENT_SECRET / BLING_REDIRECT_URI / BLING_WEBHOOK_URL
 * (demo defaults otherwise); the consent page asks before redirecting unless BLING_SIM_AUTO_APPROVE=1.
 */
import { readProcessEnv } from "@zb/config";
import { generateDemoAccount } from "./demo-data.js";
import { startBlingSimulator } from "./server.js";

const env = readProcessEnv();
const port = Number(env.BLING_SIM_PORT ?? env.PORT ?? 4010);
const host = env.BLING_SIM_HOST ?? "127.0.0.1";
const clientId = env.BLING_CLIENT_ID ?? "zydon-bling-demo";

const started = await startBlingSimulator({
  port,
  host,
  autoApprove: env.BLING_SIM_AUTO_APPROVE === "1",
  apps: [
    {
      clientId,
      clientSecret: env.BLING_CLIENT_SECRET ?? "zydon-bling-demo-secret",
      redirectUri: env.BLING_REDIRECT_URI ?? "http://localhost:3000/api/bling/oauth/callback",
      webhookUrl: env.BLING_WEBHOOK_URL,
      name: "Zydon B2B",
    },
  ],
});
const { accountId, companyId } = started.sim.control.createAccount({
  companyName: "Distribuidora Demo Ltda",
  cnpj: "11222333000181",
});
generateDemoAccount(started.sim, accountId, {
  products: 300,
  variationShare: 0.2,
  contacts: 80,
  paymentMethods: 6,
  seed: 2026,
});

console.log(`Bling simulator listening on ${started.url}`);
console.log(`  API base:   ${started.apiBaseUrl}`);
console.log(
  `  authorize:  ${started.apiBaseUrl}/oauth/authorize?response_type=code&client_id=${clientId}&state=demo`,
);
console.log(`  control:    ${started.url}/__control/<method> (e.g. GET /__control/listAccounts)`);
console.log(`  demo account ${accountId} (companyId ${companyId})`);

const stop = async () => {
  await started.close();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
