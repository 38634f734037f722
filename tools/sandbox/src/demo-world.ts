import {
  type BlingSimulatorOptions,
  generateDemoAccount,
  type StartedBlingSimulator,
  startBlingSimulator,
} from "@zb/bling-simulator";
import { type ImageCdn, startImageCdn } from "@zb/e2e-kit";
import { appManifestFiles, type StartedZydonSimulator, startZydonSimulator } from "@zb/zydon-simulator";
import { type MailCatcher, startMailCatcher } from "./mail-catcher.js";

/** The secret the sandbox plugin's webhooks.yml declares (a demo value, never a deployment's). */
const SANDBOX_WEBHOOK_SECRET = "sandbox-webhook-secret-0123456789abcdef";

/** Our app as both outside systems know it: the OAuth client at Bling and the plugin at Zydon's App Studio. */
export interface OurAppCredentials {
  blingClientId: string;
  blingClientSecret: string;
  zydonPluginId: string;
  zydonAccessKey: string;
}

export interface DemoWorldOptions extends OurAppCredentials {
  /** Our API's public URL (PUBLIC_BASE_URL): OAuth callbacks, webhooks and App Center notifications go there. */
  apiUrl: string;
  host?: string;
  blingPort?: number;
  zydonPort?: number;
  /** The merchant's mailbox (SMTP, see mail-catcher.ts); 0 or unset = any free port. */
  mailPort?: number;
  /** Demo catalog in Bling (generateDemoAccount); products are top-level entries. */
  account: {
    products: number;
    contacts: number;
    paymentMethods: number;
    variationShare?: number;
    seed?: number;
  };
  companyName?: string;
  organizationName?: string;
  /** Bling simulator tuning (limits, webhook retries); the consent page is always shown. */
  bling?: Pick<BlingSimulatorOptions, "limits" | "webhook" | "seed">;
}

export interface DemoWorld {
  bling: StartedBlingSimulator;
  zydon: StartedZydonSimulator;
  /** Serves the demo products' images (the generated links point here). */
  images: ImageCdn;
  /** Where the merchant's alert e-mails land: point SMTP_URL at `mail.url`, read them with `mail.messages()`. */
  mail: MailCatcher;
  blingAccountId: string;
  blingCompanyId: string;
  organizationId: string;
  organizationName: string;
  credentials: OurAppCredentials;
  /** The environment our API and worker need to talk to these simulators instead of Bling and Zydon. */
  productEnv(): Record<string, string>;
  close(): Promise<void>;
}

/**
 * Both simulators, set up the way Bling and Zydon would be for a merchant about to install us: our OAuth app
 * registered at Bling (redirect to our callback, webhooks to our intake), one Bling company with a demo
 * catalog, our plugin registered at Zydon's App Studio (install/uninstall/order webhooks to our API, launch
 * URL = our install route) and one Zydon organization that has not installed it yet; plus the merchant's mailbox
 * (a local SMTP catcher) for the alerts.
 */
export async function startDemoWorld(opts: DemoWorldOptions): Promise<DemoWorld> {
  const host = opts.host ?? "127.0.0.1";
  const api = opts.apiUrl.replace(/\/$/, "");
  const bling = await startBlingSimulator({
    host,
    port: opts.blingPort ?? 0,
    autoApprove: false,
    seed: opts.bling?.seed ?? 2026,
    ...(opts.bling?.limits ? { limits: opts.bling.limits } : {}),
    ...(opts.bling?.webhook ? { webhook: opts.bling.webhook } : {}),
    apps: [
      {
        clientId: opts.blingClientId,
        clientSecret: opts.blingClientSecret,
        redirectUri: `${api}/bling/callback`,
        webhookUrl: `${api}/webhooks/bling`,
        name: "Zydon B2B (integração)",
      },
    ],
  });
  let zydon: StartedZydonSimulator | undefined;
  let images: ImageCdn | undefined;
  let mail: MailCatcher | undefined;
  try {
    mail = await startMailCatcher({ host, port: opts.mailPort ?? 0 });
    images = await startImageCdn({ host });
    const { accountId, companyId } = bling.sim.control.createAccount({
      companyName: opts.companyName ?? "Distribuidora Demo Ltda",
      cnpj: "11222333000181",
    });
    generateDemoAccount(bling.sim, accountId, {
      products: opts.account.products,
      contacts: opts.account.contacts,
      paymentMethods: opts.account.paymentMethods,
      variationShare: opts.account.variationShare ?? 0.2,
      seed: opts.account.seed ?? 2026,
    });
    relinkImages(bling, accountId, images.url);

    zydon = await startZydonSimulator({ host, port: opts.zydonPort ?? 0 });
    // Registered as App Studio would: from the plugin package our app generates (zydon-plugin/).
    zydon.sim.registerPluginFromManifest(
      appManifestFiles({
        publicBaseUrl: api,
        pluginId: opts.zydonPluginId,
        webhookSecret: SANDBOX_WEBHOOK_SECRET,
      }),
      { accessKey: opts.zydonAccessKey, name: "Integração Bling", launchUrl: `${api}/zydon/install` },
    );
    const organizationName = opts.organizationName ?? "Distribuidora Demo (portal B2B)";
    const org = zydon.sim.createOrganization({ name: organizationName });
    // A portal whose order statuses mostly carry Bling's situação names, so status changes in Bling show up
    // in Zydon; "Aguardando pagamento" (and Bling's custom ones) stay unmatched for the readiness report.
    zydon.sim.seed(org.id, {
      statuses: [
        {
          name: "Em aberto",
          type: "PENDING",
          next: ["Em andamento", "Em separação", "Atendido", "Cancelado"],
        },
        { name: "Em andamento", type: "PENDING", next: ["Em separação", "Atendido", "Cancelado"] },
        { name: "Em separação", type: "PAID", next: ["Atendido", "Cancelado"] },
        { name: "Atendido", type: "INVOICED", next: ["Cancelado"] },
        { name: "Cancelado", type: "CANCELLED" },
      ],
    });
    const z = zydon;
    const cdn = images;
    const inbox = mail;
    return {
      bling,
      zydon: z,
      images: cdn,
      mail: inbox,
      blingAccountId: accountId,
      blingCompanyId: companyId,
      organizationId: org.id,
      organizationName,
      credentials: {
        blingClientId: opts.blingClientId,
        blingClientSecret: opts.blingClientSecret,
        zydonPluginId: opts.zydonPluginId,
        zydonAccessKey: opts.zydonAccessKey,
      },
      productEnv: () => ({
        BLING_CLIENT_ID: opts.blingClientId,
        BLING_CLIENT_SECRET: opts.blingClientSecret,
        BLING_API_BASE_URL: bling.apiBaseUrl,
        BLING_AUTHORIZE_URL: `${bling.apiBaseUrl}/oauth/authorize`,
        ZYDON_PLUGIN_ID: opts.zydonPluginId,
        ZYDON_ACCESS_KEY: opts.zydonAccessKey,
        ZYDON_API_BASE_URL: z.url,
        ZYDON_ADMIN_URL: z.url,
        ZYDON_WEBHOOK_SECRET: SANDBOX_WEBHOOK_SECRET,
      }),
      async close() {
        await z.close();
        await bling.close();
        await cdn.close();
        await inbox.close();
      },
    };
  } catch (err) {
    await zydon?.close();
    await bling.close();
    await images?.close();
    await mail?.close();
    throw err;
  }
}

/** Points every generated image link at the demo's own image server (same file name, PNG). */
function relinkImages(bling: StartedBlingSimulator, accountId: string, cdnUrl: string): void {
  const control = bling.sim.control;
  for (const p of control.getAccount(accountId).products) {
    const externas = (p.midia as { imagens?: { externas?: Array<{ link: string }> } } | undefined)?.imagens
      ?.externas;
    if (!externas || externas.length === 0) continue;
    const links = externas.map((e) => {
      const name = new URL(e.link).pathname.replace(/\.[a-z]+$/i, ".png");
      return { link: `${cdnUrl}${name}` };
    });
    control.upsertProduct(accountId, { id: Number(p.id), midia: { imagens: { externas: links } } });
  }
}
