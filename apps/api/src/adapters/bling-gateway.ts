import { type BlingBudgetHook, verifyBlingSignature } from "@zb/bling";
import type { Env } from "@zb/config";
import { type BlingWiringConfig, wireBlingClient, wireBlingOAuth } from "@zb/sync";
import type { BlingGateway } from "../ports.js";

export interface BlingGatewayOptions {
  now?: () => Date;
  /** Called before each token/revoke call: the deployment-wide token-call cap (Bling blocks the IP at 20/min). */
  oauthBudget?: BlingBudgetHook;
  /**
   * Acquired before each code exchange: the exchange lane of the deployment-wide token-call cap, so
   * connects (which anyone can repeat with a made-up code) never spend the refreshes' part of it.
   */
  exchangeGate?: { acquire(): Promise<void> };
}

/**
 * The API's Bling needs (OAuth, revoke, company id, webhook signature) on @zb/bling, built from config by
 * the shared wiring. Errors are the client's typed errors (`BlingInvalidGrantError.action === "reconnect"`
 * is what the token manager reads).
 */
export function createBlingGateway(
  config: BlingWiringConfig & Pick<Env, "BLING_AUTHORIZE_URL">,
  o: BlingGatewayOptions = {},
): BlingGateway {
  const oauth = wireBlingOAuth(config, {
    authorizeUrl: config.BLING_AUTHORIZE_URL,
    ...(o.now ? { now: o.now } : {}),
    ...(o.oauthBudget ? { budget: o.oauthBudget } : {}),
  });
  return {
    authorizeUrl: (state) => oauth.authorizeUrl(state),
    async exchangeCode(code) {
      await o.exchangeGate?.acquire();
      return oauth.exchangeCode(code);
    },
    refresh: (refreshToken) => oauth.refresh(refreshToken),
    revoke: (token, hint) => oauth.revoke(token, hint),
    async companyInfo(accessToken) {
      // A one-off client bound to the token just issued (not yet stored, so not the token manager's).
      const client = wireBlingClient(config, { getAccessToken: async () => accessToken });
      const company = await client.empresa.dadosBasicos();
      return { id: company.id, name: company.nome ?? null };
    },
    verifyWebhookSignature: (rawBody, header) =>
      verifyBlingSignature(rawBody, header, config.BLING_CLIENT_SECRET),
  };
}
