import { type BlingBudgetHook, BlingClient, BlingOAuth, verifyBlingSignature } from "@zb/bling";
import type { BlingGateway } from "../ports.js";

export interface BlingGatewayOptions {
  clientId: string;
  clientSecret: string;
  /** e.g. https://api.bling.com.br/Api/v3 — token, revoke and REST live under it. */
  apiBaseUrl: string;
  authorizeUrl: string;
  enableJwt?: boolean;
  timeoutMs?: number;
  now?: () => Date;
  /** Called before each token/revoke call: the deployment-wide token-call cap (Bling blocks the IP at 20/min). */
  oauthBudget?: BlingBudgetHook;
}

/**
 * The API's Bling needs (OAuth, revoke, company id, webhook signature) on @zb/bling. Errors are the
 * client's typed errors (`BlingInvalidGrantError.action === "reconnect"` is what the token manager reads).
 */
export function createBlingGateway(o: BlingGatewayOptions): BlingGateway {
  const base = o.apiBaseUrl.replace(/\/$/, "");
  const timeoutMs = o.timeoutMs ?? 30_000;
  const oauth = new BlingOAuth({
    clientId: o.clientId,
    clientSecret: o.clientSecret,
    tokenUrl: `${base}/oauth/token`,
    revokeUrl: `${base}/oauth/revoke`,
    authorizeUrl: o.authorizeUrl,
    timeoutMs,
    ...(o.enableJwt !== undefined ? { enableJwt: o.enableJwt } : {}),
    ...(o.now ? { now: o.now } : {}),
    ...(o.oauthBudget ? { budget: o.oauthBudget } : {}),
  });
  return {
    authorizeUrl: (state) => oauth.authorizeUrl(state),
    exchangeCode: (code) => oauth.exchangeCode(code),
    refresh: (refreshToken) => oauth.refresh(refreshToken),
    revoke: (token, hint) => oauth.revoke(token, hint),
    async companyInfo(accessToken) {
      // A one-off client bound to the token just issued (not yet stored, so not the token manager's).
      const client = new BlingClient({
        baseUrl: base,
        getAccessToken: async () => accessToken,
        timeoutMs,
        ...(o.enableJwt !== undefined ? { enableJwt: o.enableJwt } : {}),
      });
      const company = await client.empresa.dadosBasicos();
      return { id: company.id, name: company.nome ?? null };
    },
    verifyWebhookSignature: (rawBody, header) => verifyBlingSignature(rawBody, header, o.clientSecret),
  };
}
