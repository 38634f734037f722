import { describe, expect, it } from "vitest";
import * as A from "./adapter.js";
import {
  isAdminSessionProfile,
  normalizeAdminSessionResponse,
  normalizeTokenExchangeResponse,
  ORDER_UPDATE_KINDS,
  orderUpdateWebhookBody,
  organizationIdFromJwt,
  parseOrderUpdateWebhookBody,
  SIGNATURE_HEADER,
  SIGNATURE_TOLERANCE_MS,
  signedHeaders,
  statusTransitionAllowed,
  tokenExchangeRequest,
  verifySignature,
} from "./adapter.js";
import { ZydonApp } from "./app.js";

const now = new Date("2026-03-01T12:00:00Z");
const app = new ZydonApp({
  pluginId: "plugin-1",
  accessKey: "plugin-secret",
  apiBaseUrl: "https://api.zydon.test",
  adminUrl: "https://admin.zydon.test/",
  now: () => now,
});

describe("signatures", () => {
  const raw = JSON.stringify({ organization_id: "org-1" });
  const headers = signedHeaders({
    accessKey: "plugin-secret",
    rawBody: raw,
    now,
    event: "install",
    deliveryId: "d1",
  });

  it("accepts what the adapter signed", () => {
    expect(app.verifyNotification({ rawBody: raw, headers })).toEqual({
      ok: true,
      event: "install",
      organizationId: "org-1",
      deliveryId: "d1",
    });
  });

  it("refuses a tampered body, a wrong key, a stale timestamp and missing headers", () => {
    const tampered = raw.replace("org-1", "org-2");
    expect(app.verifyNotification({ rawBody: tampered, headers }).ok).toBe(false);
    expect(verifySignature({ accessKey: "other", rawBody: raw, headers, now }).ok).toBe(false);
    const late = new Date(now.getTime() + SIGNATURE_TOLERANCE_MS + 1000);
    expect(app.verifyNotification({ rawBody: raw, headers, now: late })).toEqual({
      ok: false,
      reason: "timestamp outside tolerance",
    });
    const { [SIGNATURE_HEADER]: _drop, ...unsigned } = headers;
    expect(app.verifyNotification({ rawBody: raw, headers: unsigned }).ok).toBe(false);
  });

  it("accepts Headers objects and case-insensitive names", () => {
    const h = new Headers(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]));
    expect(app.verifyNotification({ rawBody: raw, headers: h }).ok).toBe(true);
  });
});

describe("OAuth helpers", () => {
  it("builds the documented authorize URL", () => {
    const u = new URL(app.authorizeUrl({ redirectUri: "https://app.test/cb?x=1", state: "s t" }));
    expect(u.origin + u.pathname).toBe("https://admin.zydon.test/oauth/authorize");
    expect(u.searchParams.get("client_id")).toBe("plugin-1");
    expect(u.searchParams.get("redirect_uri")).toBe("https://app.test/cb?x=1");
    expect(u.searchParams.get("state")).toBe("s t");
  });

  it("parses success and error callbacks", () => {
    expect(app.parseCallback({ code: "c1", state: "s" })).toEqual({ ok: true, code: "c1", state: "s" });
    expect(app.parseCallback(new URLSearchParams("error=invalid_client&state=s"))).toEqual({
      ok: false,
      error: "invalid_client",
      state: "s",
    });
    expect(app.parseCallback({ error: ["server_error"], state: "s" })).toMatchObject({
      ok: false,
      error: "server_error",
    });
    expect(app.parseCallback({ state: "s" })).toMatchObject({ ok: false, error: "missing_code" });
  });

  it("token exchange request: Basic pluginId:accessKey, form body", () => {
    const r = tokenExchangeRequest({ pluginId: "p", accessKey: "k", code: "c", redirectUri: "https://x/cb" });
    expect(Buffer.from((r.headers.authorization ?? "").slice(6), "base64").toString()).toBe("p:k");
    expect(Object.fromEntries(new URLSearchParams(r.body))).toEqual({
      grant_type: "authorization_code",
      code: "c",
      redirect_uri: "https://x/cb",
    });
  });

  it("normalizes exchange responses and reads the org claim from a JWT", () => {
    expect(
      normalizeTokenExchangeResponse({ access_key_code: "a", access_key_token: "b", organization_id: 9 }),
    ).toEqual({
      accessKeyCode: "a",
      accessKeyToken: "b",
      organizationId: "9",
    });
    expect(normalizeTokenExchangeResponse({ access_key_code: "a" })).toBeNull();
    const jwt = `x.${Buffer.from(JSON.stringify({ organizationId: "org-7" })).toString("base64url")}.y`;
    expect(organizationIdFromJwt(jwt)).toBe("org-7");
    expect(organizationIdFromJwt("garbage")).toBeNull();
  });
});

describe("admin session claim (issue 21 #7)", () => {
  it("reads the profile claim and admits only the organization's staff", () => {
    const seller = normalizeAdminSessionResponse({ id: 7, organization_id: "org-1", profile: "seller" });
    expect(seller).toEqual({
      organizationId: "org-1",
      organizationName: null,
      userId: "7",
      profile: "SELLER",
    });
    expect(isAdminSessionProfile(seller?.profile ?? null)).toBe(true);
    const buyer = normalizeAdminSessionResponse({ organizationId: "org-1", profile: "PARTNER" });
    expect(isAdminSessionProfile(buyer?.profile ?? null)).toBe(false);
    const none = normalizeAdminSessionResponse({ organizationId: "org-1" });
    expect(none?.profile).toBeNull();
    expect(isAdminSessionProfile(none?.profile ?? null)).toBe(false);
  });

  it("reads the organization's name in either spelling (issue 21 #2: the Bling confirmation names it)", () => {
    for (const body of [
      { organization_id: "org-1", organization_name: "  Distribuidora Sul  " },
      { organizationId: "org-1", organizationName: "Distribuidora Sul" },
    ]) {
      expect(normalizeAdminSessionResponse(body)?.organizationName).toBe("Distribuidora Sul");
    }
    expect(
      normalizeAdminSessionResponse({ organization_id: "o", organization_name: " " })?.organizationName,
    ).toBeNull();
    expect(
      normalizeAdminSessionResponse({ organization_id: "o", organization_name: 7 })?.organizationName,
    ).toBeNull();
  });
});

describe("guesses with rules", () => {
  it("status transitions need a relation and can_edit_by_api on the target", () => {
    const current = { id: "a", relations: [{ destiny: { id: "b" } }] };
    expect(statusTransitionAllowed({ current, target: { id: "b", can_edit_by_api: true } })).toEqual({
      ok: true,
    });
    expect(statusTransitionAllowed({ current, target: { id: "c", can_edit_by_api: true } })).toEqual({
      ok: false,
      reason: "not_a_relation",
    });
    expect(statusTransitionAllowed({ current, target: { id: "b", can_edit_by_api: false } })).toEqual({
      ok: false,
      reason: "not_editable_by_api",
    });
  });
});

describe("webhook authentication by the declared header secret (zydon-api.md §2.4)", () => {
  const raw = JSON.stringify({ order_id: "5", organization_id: "org-1", amount_value: 10 });
  const current = "current-secret-0123456789abcdef";
  const previous = "previous-secret-0123456789abcdef";
  const header = "x-zb-webhook-secret";
  const make = (mode: "header" | "hmac" | "header_or_hmac", secrets: string[]) =>
    new ZydonApp({
      pluginId: "plugin-1",
      accessKey: "plugin-secret",
      apiBaseUrl: "https://api.zydon.test",
      adminUrl: "https://admin.zydon.test/",
      now: () => now,
      contract: { webhookAuth: mode },
      webhookSecrets: secrets,
    });
  const hmac = signedHeaders({
    accessKey: "plugin-secret",
    rawBody: raw,
    now,
    event: "order.created",
    deliveryId: "d",
  });

  it("accepts the current secret, and the previous one during a rotation", () => {
    const app = make("header", [current, previous]);
    expect(app.verifyOrderWebhook({ rawBody: raw, headers: { [header]: current } }).ok).toBe(true);
    expect(app.verifyOrderWebhook({ rawBody: raw, headers: { [header]: previous } }).ok).toBe(true);
    // Rotation over: the previous secret is dropped from the config and refused from then on.
    const after = make("header", [current]);
    expect(after.verifyOrderWebhook({ rawBody: raw, headers: { [header]: previous } })).toEqual({
      ok: false,
      reason: "webhook secret mismatch",
    });
  });

  it("header mode refuses a wrong or missing secret, and the HMAC guess alone", () => {
    const app = make("header", [current]);
    expect(app.verifyOrderWebhook({ rawBody: raw, headers: { [header]: `${current}x` } }).ok).toBe(false);
    expect(app.verifyOrderWebhook({ rawBody: raw, headers: hmac })).toEqual({
      ok: false,
      reason: "missing webhook secret header",
    });
    expect(make("header", []).verifyOrderWebhook({ rawBody: raw, headers: { [header]: current } })).toEqual({
      ok: false,
      reason: "no webhook secret configured",
    });
  });

  it("header_or_hmac (default) accepts either, but a wrong header secret is refused even with a good HMAC", () => {
    const app = make("header_or_hmac", [current]);
    expect(app.verifyOrderWebhook({ rawBody: raw, headers: { [header]: current } }).ok).toBe(true);
    expect(app.verifyOrderWebhook({ rawBody: raw, headers: hmac }).ok).toBe(true);
    expect(app.verifyOrderWebhook({ rawBody: raw, headers: { ...hmac, [header]: "wrong" } }).ok).toBe(false);
    expect(app.verifyOrderWebhook({ rawBody: raw, headers: {} }).ok).toBe(false);
  });

  it("hmac mode ignores the header secret", () => {
    const app = make("hmac", [current]);
    expect(app.verifyOrderWebhook({ rawBody: raw, headers: { [header]: current } }).ok).toBe(false);
    expect(app.verifyOrderWebhook({ rawBody: raw, headers: hmac }).ok).toBe(true);
  });
});

describe("install/uninstall notifications under header mode", () => {
  it("still pass by the HMAC guess: configuration.yml declares no header for those endpoints", () => {
    const headerMode = new ZydonApp({
      pluginId: "plugin-1",
      accessKey: "plugin-secret",
      apiBaseUrl: "https://api.zydon.test",
      adminUrl: "https://admin.zydon.test/",
      now: () => now,
      contract: { webhookAuth: "header" },
      webhookSecrets: ["current-secret-0123456789abcdef"],
    });
    const raw = JSON.stringify({ organization_id: "org-1" });
    const headers = signedHeaders({
      accessKey: "plugin-secret",
      rawBody: raw,
      now,
      event: "uninstall",
      deliveryId: "d",
    });
    expect(headerMode.verifyNotification({ rawBody: raw, headers }).ok).toBe(true);
    expect(
      headerMode.verifyNotification({
        rawBody: raw,
        headers: { ...headers, "x-zydon-signature": "sha256=00" },
      }).ok,
    ).toBe(false);
  });
});

describe("order-update webhook body (zydon-api.md §9 [ZS-233], a guess)", () => {
  it("reads what it writes, and only the order and organization are required", () => {
    const raw = orderUpdateWebhookBody({
      orderId: "77",
      organizationId: "org-1",
      statusId: "st-9",
      kind: ORDER_UPDATE_KINDS.status,
      updatedAt: "2026-03-10T15:00:00.000Z",
    });
    expect(parseOrderUpdateWebhookBody(raw)).toEqual({
      orderId: "77",
      organizationId: "org-1",
      statusId: "st-9",
      event: "STATUS",
      updatedAt: "2026-03-10T15:00:00.000Z",
    });
    expect(parseOrderUpdateWebhookBody(JSON.stringify({ id: 78, organization_id: 5 }))).toEqual({
      orderId: "78",
      organizationId: "5",
      statusId: null,
      event: null,
      updatedAt: null,
    });
  });

  it("is tolerant of the shapes Zydon may use, and of odd optional fields", () => {
    expect(
      parseOrderUpdateWebhookBody(
        JSON.stringify({ sale_id: "S1", organization_id: "o", status: { status_id: "st-2" }, event: 3 }),
      ),
    ).toMatchObject({ orderId: "S1", statusId: "st-2", event: null });
    expect(
      parseOrderUpdateWebhookBody(JSON.stringify({ order_id: "A", organization_id: "o", status: { id: 9 } })),
    ).toMatchObject({ statusId: "9" });
    expect(
      parseOrderUpdateWebhookBody(JSON.stringify({ order_id: "A", organization_id: "o", status_id: {} })),
    ).toMatchObject({ orderId: "A", statusId: null });
  });

  it("refuses a body without the order or the organization, and what is not JSON", () => {
    expect(parseOrderUpdateWebhookBody(JSON.stringify({ organization_id: "o", status_id: "x" }))).toBeNull();
    expect(parseOrderUpdateWebhookBody(JSON.stringify({ order_id: "A" }))).toBeNull();
    expect(parseOrderUpdateWebhookBody(JSON.stringify({ order_id: "", organization_id: "o" }))).toBeNull();
    expect(parseOrderUpdateWebhookBody("[1]")).toBeNull();
    expect(parseOrderUpdateWebhookBody("{nope")).toBeNull();
  });
});

describe("categories and brands (zydon-api.md §5.4, §4)", () => {
  it("reads the record a 404 names, in the documented message form, and nothing else", () => {
    expect(A.notFoundReference("Category com ID 450 não foi encontrado!")).toEqual({
      resource: "Category",
      id: "450",
    });
    expect(A.notFoundReference("Brand com ID 12 não foi encontrada")).toEqual({
      resource: "Brand",
      id: "12",
    });
    expect(A.notFoundReference("Product was not found")).toBeNull();
    expect(A.notFoundReference(null)).toBeNull();
  });

  it("a category body names its parent as root_id (null for a root), and reads it back the same way", () => {
    expect(A.categoryWriteBody({ name: "Vestuário", parentId: "440" })).toMatchObject({
      name: "Vestuário",
      root_id: "440",
      active: true,
    });
    expect(A.categoryWriteBody({ name: "Moda", parentId: null }).root_id).toBeNull();
    expect(A.categoryParentId({ root_id: 440 })).toBe("440");
    expect(A.categoryParentId({ root_id: null })).toBeNull();
    expect(A.categoryParentId({})).toBeNull();
  });
});
