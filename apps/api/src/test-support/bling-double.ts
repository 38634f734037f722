import { type BlingTokenSet, signBlingPayload } from "@zb/bling";
import { type StartedBlingSimulator, startBlingSimulator } from "@zb/bling-simulator";
import type { BlingGateway } from "../ports.js";

/**
 * The Bling side of the API tests: @zb/bling-simulator over real HTTP on 127.0.0.1:0, plus what tests need
 * to see from outside (tokens our app received, whether one was revoked, the request log).
 */
export async function startBlingDouble(app: { clientId: string; clientSecret: string; apiUrl: string }) {
  const started: StartedBlingSimulator = await startBlingSimulator({
    apps: [
      {
        clientId: app.clientId,
        clientSecret: app.clientSecret,
        redirectUri: `${app.apiUrl}/bling/callback`,
        name: "Zydon",
      },
    ],
    autoApprove: true,
    // Limits are the budget's concern (tested there); these tests pace nothing.
    limits: { enforce: false },
  });
  const { sim } = started;
  const issued: BlingTokenSet[] = [];
  const names = new Map<string, string>();

  async function refreshWorks(token: string): Promise<boolean> {
    const basic = Buffer.from(`${app.clientId}:${app.clientSecret}`).toString("base64");
    const res = await sim.handle({
      method: "POST",
      url: "/Api/v3/oauth/token",
      headers: { authorization: `Basic ${basic}`, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: token }).toString(),
    });
    return res.status === 200;
  }

  return {
    sim,
    url: started.url,
    apiBaseUrl: started.apiBaseUrl,
    authorizeUrl: `${started.apiBaseUrl}/oauth/authorize`,
    createAccount(companyName: string) {
      const a = sim.control.createAccount({ companyName });
      names.set(a.accountId, companyName);
      return { accountId: a.accountId, companyId: a.companyId, companyName };
    },
    /** What the consent page does when the merchant clicks "Autorizar". */
    authorize: (accountId: string) => sim.control.authorize(accountId, app.clientId).code,
    /** The merchant revokes the app in Bling: refresh then answers invalid_grant. */
    revokeAll: (accountId: string) => sim.control.revokeTokens(accountId),
    /** Access token: Bling refuses it. Refresh token: a refresh with it fails (only ask when you expect so). */
    async isRevoked(token: string): Promise<boolean> {
      const set = issued.find((t) => t.accessToken === token || t.refreshToken === token);
      if (!set) throw new Error("not a token this test saw");
      if (set.accessToken === token) {
        try {
          sim.oauth.authenticate({ method: "GET", url: "/", headers: { authorization: `Bearer ${token}` } });
          return false;
        } catch {
          return true;
        }
      }
      return !(await refreshWorks(token));
    },
    /** Every token value our app received from Bling (for assertions and the secrets-in-logs scan). */
    issued: () => issued.flatMap((t) => [t.accessToken, t.refreshToken]),
    requests: (accountId?: string) => sim.control.requestLog(accountId),
    sign: (rawBody: string | Buffer) => signBlingPayload(rawBody, app.clientSecret),
    /** Records what the app receives, so tests know the token values without reading Bling's internals. */
    recording(gateway: BlingGateway): BlingGateway {
      return {
        ...gateway,
        exchangeCode: async (code) => {
          const t = await gateway.exchangeCode(code);
          issued.push(t as BlingTokenSet);
          return t;
        },
        refresh: async (rt) => {
          const t = await gateway.refresh(rt);
          issued.push(t as BlingTokenSet);
          return t;
        },
      };
    },
    close: () => started.close(),
  };
}

export type BlingDouble = Awaited<ReturnType<typeof startBlingDouble>>;
