import { parseArgs } from "node:util";
import { BlingSimulator, createManualClock, generateDemoAccount } from "@zb/bling-simulator";

/**
 * `pnpm --filter @zb/bench exec tsx src/sim-profile.ts --products 50000` (add `node --cpu-prof` to profile):
 * the Bling simulator alone under an initial sync's read pattern — every page of the three
 * `filtroSaldoEstoque` passes, then the balances of every product in batches of 100 ids — timed in
 * process CPU time (the machine may be shared), without HTTP or limits: the simulator's own cost per request.
 */
const { values } = parseArgs({ options: { products: { type: "string", default: "50000" } } });
const products = Number(values.products);
const clock = createManualClock();
const sim = new BlingSimulator({
  seed: 7,
  clock,
  apps: [{ clientId: "prof", clientSecret: "prof-secret", redirectUri: "https://x.test/cb" }],
  limits: { enforce: false },
});
const { accountId } = sim.control.createAccount({ companyName: "Perfil Ltda" });
const token = sim.control.issueTokens(accountId, "prof").access_token;
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
let t0 = cpuMs();
generateDemoAccount(sim, accountId, {
  products,
  variationShare: 0.3,
  contacts: 10,
  paymentMethods: 2,
  seed: 1,
});
console.log(`generated ${products} products in ${((cpuMs() - t0) / 1000).toFixed(1)} s`);

async function get(path: string): Promise<Array<{ id: number; produto?: { id: number } }>> {
  clock.advance(400);
  const res = await sim.handle({
    method: "GET",
    url: `/Api/v3${path}`,
    headers: { authorization: `Bearer ${token}` },
    body: undefined,
    remoteAddress: "10.0.0.9",
  });
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${res.body.slice(0, 200)}`);
  return (JSON.parse(res.body) as { data: Array<{ id: number }> }).data;
}

t0 = cpuMs();
let pages = 0;
const ids: number[] = [];
for (const f of [1, 0, 2]) {
  for (let p = 1; ; p++) {
    const rows = await get(`/produtos?pagina=${p}&limite=100&criterio=2&filtroSaldoEstoque=${f}`);
    pages++;
    for (const r of rows) ids.push(r.id);
    if (rows.length < 100) break;
  }
}
const listMs = cpuMs() - t0;
t0 = cpuMs();
let batches = 0;
for (let i = 0; i < ids.length; i += 100) {
  const q = ids
    .slice(i, i + 100)
    .map((id) => `idsProdutos[]=${id}`)
    .join("&");
  await get(`/estoques/saldos?${q}`);
  batches++;
}
const saldoMs = cpuMs() - t0;
console.log(
  `list: ${pages} pages, ${ids.length} rows, ${(listMs / 1000).toFixed(2)} s (${(listMs / pages).toFixed(2)} ms/page)`,
);
console.log(
  `balances: ${batches} calls, ${(saldoMs / 1000).toFixed(2)} s (${(saldoMs / batches).toFixed(2)} ms/call)`,
);
sim.dispose();
