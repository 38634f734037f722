/**
 * The App Studio plugin package (zydon-api.md §2.1, §2.4): `configuration.yml` and
 * `native-resources/webhooks.yml`, in the layout of Zydon's plugin template [MPT-cfg], [MPT-wh], [CAR-wh].
 * `buildPluginManifest` derives both from the deployment's public URL; the API serves every URL it names
 * (tested in apps/api), and the simulator's App Center registers a plugin by reading these files.
 */
import { z } from "zod";
import { DEFAULT_ZYDON_CONTRACT } from "./contract.js";
import { parseYaml, toYaml, type YamlValue } from "./yaml.js";

/** Where the API serves what the manifest promises (paths under PUBLIC_BASE_URL) and with which method. */
export const PLUGIN_ENDPOINTS = {
  callback: { method: "GET", path: "/zydon/callback" },
  isAlive: { method: "GET", path: "/zydon/is-alive" },
  installation: { method: "POST", path: "/zydon/notifications/install" },
  uninstallation: { method: "POST", path: "/zydon/notifications/uninstall" },
  orderWebhook: { method: "POST", path: "/webhooks/zydon/orders" },
  /** Its own URL: the update webhook's event name and body are guesses [ZS-233]; the URL is ours. */
  orderUpdateWebhook: { method: "POST", path: "/webhooks/zydon/orders/updated" },
} as const;

/**
 * What the app reads and writes at Zydon. INFERENCE: the permission vocabulary is UNKNOWN (§2.1, the public
 * copies hold empty strings); these name the resources the app uses, to be replaced by Zydon's names.
 */
export const PLUGIN_PERMISSIONS = [
  "PRODUCTS",
  "PRODUCT_VARIATIONS",
  "STOCK",
  "PRICE_TABLES",
  "PARTNERS",
  "ORDERS",
  "SALES",
  "FILES",
] as const;

const httpUrl = z.url({ protocol: /^https?$/ });

export const pluginConfigurationSchema = z.object({
  version: z.string().min(1),
  auth: z.object({ type: z.enum(["basic", "none"]), client_id: z.string(), callback_uri: httpUrl }),
  entry_points: z.array(
    z.object({ entry_point_key: z.string(), artifact_id: z.string(), route: z.string() }),
  ),
  is_alive_endpoint: z.object({ url: httpUrl }),
  installation_endpoint: z.object({ url: httpUrl }),
  uninstallation_endpoint: z.object({ url: httpUrl }),
  permissions: z.array(z.string()),
  admin_launchers: z.object({
    id: z.string(),
    name: z.string(),
    route: z.string(),
    childs: z.array(z.object({ id: z.string(), name: z.string(), route: z.string() })).optional(),
  }),
});

export const pluginWebhookSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  resource: z.string(),
  resource_id: z.string(),
  event: z.string().optional(),
  url: httpUrl,
  http_method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE"]),
  content_type: z.string().optional(),
  headers: z.array(z.object({ name: z.string().min(1), value: z.string() })),
});
export const pluginWebhooksSchema = z.array(pluginWebhookSchema);

export type PluginConfiguration = z.infer<typeof pluginConfigurationSchema>;
export type PluginWebhook = z.infer<typeof pluginWebhookSchema>;
export interface PluginManifest {
  configuration: PluginConfiguration;
  webhooks: PluginWebhook[];
}

/** The id of the order webhook in webhooks.yml (the simulator finds the order webhook by it). */
export const ORDER_WEBHOOK_ID = "zb-order-created";
/** The id of the order-update webhook (zydon-api.md §9 [ZS-233]; the simulator finds it by this id). */
export const ORDER_UPDATE_WEBHOOK_ID = "zb-order-updated";

/** Written in place of a secret in the committed example: the real file is generated per deployment. */
export const SECRET_PLACEHOLDER = "<ZYDON_WEBHOOK_SECRET>";

export function buildPluginManifest(input: {
  publicBaseUrl: string;
  pluginId: string;
  /** The secret the webhook header carries; omitted → a placeholder (the committed example). */
  webhookSecret?: string | undefined;
  webhookSecretHeader?: string;
  version?: string;
}): PluginManifest {
  const at = (path: string) => new URL(path, input.publicBaseUrl).toString();
  const E = PLUGIN_ENDPOINTS;
  return {
    configuration: {
      version: input.version ?? "1.0.0",
      auth: { type: "basic", client_id: input.pluginId, callback_uri: at(E.callback.path) },
      entry_points: [{ entry_point_key: "PLUGIN_CONFIGURATION", artifact_id: "configs", route: "/" }],
      is_alive_endpoint: { url: at(E.isAlive.path) },
      installation_endpoint: { url: at(E.installation.path) },
      uninstallation_endpoint: { url: at(E.uninstallation.path) },
      permissions: [...PLUGIN_PERMISSIONS],
      admin_launchers: { id: "zb-bling", name: "Integração Bling", route: "/" },
    },
    webhooks: [
      {
        id: ORDER_WEBHOOK_ID,
        name: "Pedido criado → Bling",
        resource: "ORDER",
        resource_id: "",
        event: "CREATED",
        url: at(E.orderWebhook.path),
        http_method: E.orderWebhook.method,
        content_type: "application/json",
        headers: [
          {
            name: input.webhookSecretHeader ?? DEFAULT_ZYDON_CONTRACT.webhookSecretHeader,
            value: input.webhookSecret ?? SECRET_PLACEHOLDER,
          },
        ],
      },
      {
        // INFERENCE (zydon-api.md §9 [ZS-233]: an order-update webhook exists, its contract is UNKNOWN).
        id: ORDER_UPDATE_WEBHOOK_ID,
        name: "Pedido alterado (status) → Bling",
        resource: "ORDER",
        resource_id: "",
        event: "UPDATED",
        url: at(E.orderUpdateWebhook.path),
        http_method: E.orderUpdateWebhook.method,
        content_type: "application/json",
        headers: [
          {
            name: input.webhookSecretHeader ?? DEFAULT_ZYDON_CONTRACT.webhookSecretHeader,
            value: input.webhookSecret ?? SECRET_PLACEHOLDER,
          },
        ],
      },
    ],
  };
}

/** Every absolute URL the manifest names, with the HTTP method Zydon will use on it (GET for the callback). */
export function manifestUrls(m: PluginManifest): Array<{ key: string; method: string; url: string }> {
  const c = m.configuration;
  return [
    { key: "auth.callback_uri", method: "GET", url: c.auth.callback_uri },
    { key: "is_alive_endpoint.url", method: PLUGIN_ENDPOINTS.isAlive.method, url: c.is_alive_endpoint.url },
    {
      key: "installation_endpoint.url",
      method: PLUGIN_ENDPOINTS.installation.method,
      url: c.installation_endpoint.url,
    },
    {
      key: "uninstallation_endpoint.url",
      method: PLUGIN_ENDPOINTS.uninstallation.method,
      url: c.uninstallation_endpoint.url,
    },
    ...m.webhooks.map((w) => ({ key: `webhooks.${w.id}.url`, method: w.http_method, url: w.url })),
  ];
}

const HEADER = (what: string) =>
  `${what} — generated by \`pnpm zydon:manifest\`; regenerate rather than edit.
Layout and keys: Zydon's plugin template (../shared/reference/zydon-api.md §2.1, §2.4).`;

export const MANIFEST_FILES = {
  configuration: "configuration.yml",
  webhooks: "native-resources/webhooks.yml",
} as const;

/** The package's files, path → text. */
export function renderPluginManifest(m: PluginManifest): Record<string, string> {
  return {
    [MANIFEST_FILES.configuration]: toYaml(m.configuration as unknown as YamlValue, {
      header: HEADER("App Studio plugin configuration"),
      comments: {
        "auth.type": "basic: the token exchange authenticates with client_id:access_key (§2.2 step 5).",
        is_alive_endpoint: "Answers fast, no secrets: version, database and Redis reachable.",
        uninstallation_endpoint: "§2.4: declared explicitly; nothing is derived from the installation URL.",
        permissions:
          "INFERENCE: Zydon's permission vocabulary is UNKNOWN (§2.1); these name what the app uses.",
        entry_points: "The settings page (artifact `configs`, as in the template).",
      },
    }),
    [MANIFEST_FILES.webhooks]: toYaml(m.webhooks as unknown as YamlValue, {
      header: HEADER("Webhooks this plugin needs"),
      comments: {
        "0.resource":
          "INFERENCE: resource/event names are UNKNOWN (§2.4, §9); the order webhook is what we need.",
        "0.headers":
          "§2.4: a fixed header authenticates the webhook. Its value is this deployment's ZYDON_WEBHOOK_SECRET.",
        "1.event":
          "INFERENCE: §9 [ZS-233] says an order-update webhook (status, edit) exists; its contract is UNKNOWN.",
        "1.headers": "§2.4: the same fixed header secret as the order webhook.",
      },
    }),
  };
}

/** Reads the package back (the simulator's App Center): validated with the schemas above. */
export function parsePluginManifest(files: Record<string, string>): PluginManifest {
  const cfg = files[MANIFEST_FILES.configuration];
  const wh = files[MANIFEST_FILES.webhooks];
  if (cfg === undefined) throw new Error(`plugin package has no ${MANIFEST_FILES.configuration}`);
  return {
    configuration: pluginConfigurationSchema.parse(parseYaml(cfg)),
    webhooks: wh === undefined ? [] : pluginWebhooksSchema.parse(parseYaml(wh)),
  };
}
