/** App Center pages, App Studio OAuth (zydon-api.md §2), access-key login and the admin-session check (§3). */
import { zydonAdapter as A, DEFAULT_ZYDON_CONTRACT, type ZydonContract } from "@zb/zydon";
import {
  badRequest,
  cookies,
  escapeHtml as e,
  header,
  htmlResponse,
  jsonResponse,
  type Router,
  redirect,
  SimHttpError,
} from "./http-util.js";
import type { ApiContext } from "./simulator.js";

const ORG_COOKIE = "zsim_org";

function page(title: string, body: string): string {
  return `<!doctype html><html lang="pt-BR"><head><meta charset="utf-8"><title>${e(title)}</title>
<style>body{font-family:sans-serif;max-width:720px;margin:2rem auto}li{margin:.5rem 0}button{margin-left:.5rem}</style>
</head><body><h1>${e(title)}</h1>${body}</body></html>`;
}

function withParams(base: string, params: Record<string, string | null>): string {
  const u = new URL(base);
  for (const [k, v] of Object.entries(params)) if (v !== null) u.searchParams.set(k, v);
  return u.toString();
}

function formBody(ctx: ApiContext): URLSearchParams {
  return new URLSearchParams(ctx.text());
}

/** The org the "logged-in merchant" belongs to: explicit `org` (tests) or the App Center cookie. */
function sessionOrg(ctx: ApiContext, explicit: string | null): string | null {
  const id = explicit || cookies(ctx.req)[ORG_COOKIE] || null;
  return id && ctx.sim.orgs.has(id) ? id : null;
}

export function registerOAuthRoutes(
  router: Router<ApiContext>,
  c: ZydonContract = DEFAULT_ZYDON_CONTRACT,
): void {
  router.add("GET", "/app-center", (ctx) => {
    const orgId = ctx.url.searchParams.get("org");
    if (!orgId || !ctx.sim.orgs.has(orgId)) {
      const links = [...ctx.sim.orgs.values()]
        .map((o) => `<li><a href="/app-center?org=${encodeURIComponent(o.id)}">${e(o.name)}</a></li>`)
        .join("");
      return htmlResponse(200, page("App Center — escolha a organização", `<ul>${links}</ul>`));
    }
    const org = ctx.sim.org(orgId);
    const items = [...ctx.sim.plugins.values()]
      .map((p) => {
        const installed = org.installations.has(p.pluginId);
        const install = p.launchUrl
          ? withParams(p.launchUrl, { organization_id: org.id })
          : `/oauth/authorize?${new URLSearchParams({
              client_id: p.pluginId,
              redirect_uri: p.callbackUrls[0] ?? "",
              state: `appcenter-${ctx.sim.uuid()}`,
              org: org.id,
            }).toString()}`;
        const action = installed
          ? `<form method="post" action="/app-center/uninstall" style="display:inline">
<input type="hidden" name="org" value="${e(org.id)}"><input type="hidden" name="client_id" value="${e(p.pluginId)}">
<button type="submit" data-testid="uninstall-${e(p.pluginId)}">Desinstalar</button></form>`
          : `<a href="${e(install)}" data-testid="install-${e(p.pluginId)}"><button type="button">Instalar</button></a>`;
        return `<li><strong>${e(p.name ?? p.pluginId)}</strong> — ${installed ? "Instalado" : "Não instalado"} ${action}</li>`;
      })
      .join("");
    return htmlResponse(200, page(`App Center — ${org.name}`, `<ul>${items}</ul>`), {
      "set-cookie": `${ORG_COOKIE}=${encodeURIComponent(org.id)}; Path=/; HttpOnly; SameSite=Lax`,
    });
  });

  router.add("POST", "/app-center/uninstall", async (ctx) => {
    const f = formBody(ctx);
    const orgId = f.get("org") ?? "";
    if (!ctx.sim.orgs.has(orgId)) throw badRequest("Organização desconhecida");
    await ctx.sim.uninstall(orgId, f.get("client_id") ?? undefined);
    return redirect(`/app-center?org=${encodeURIComponent(orgId)}`);
  });

  // zydon-api.md §2.2 steps 1–4.
  router.add("GET", A.AUTHORIZE_PATH, (ctx) => {
    const q = ctx.url.searchParams;
    const clientId = q.get("client_id") ?? "";
    const redirectUri = q.get("redirect_uri") ?? "";
    const state = q.get("state");
    let validRedirect: URL | null = null;
    try {
      validRedirect = new URL(redirectUri);
    } catch {
      return htmlResponse(400, page("Erro", "<p>redirect_uri inválido</p>"));
    }
    const plugin = ctx.sim.plugins.get(clientId);
    if (!plugin?.callbackUrls.includes(redirectUri)) {
      return redirect(withParams(validRedirect.toString(), { error: "invalid_client", state }));
    }
    const orgId = sessionOrg(ctx, q.get("org"));
    if (!orgId) {
      // Not logged in (§2.2 step 2): pick an organization, then come back with the same params.
      const back = new URLSearchParams(q);
      const links = [...ctx.sim.orgs.values()]
        .map((o) => {
          back.set("org", o.id);
          return `<li><a href="${A.AUTHORIZE_PATH}?${e(back.toString())}">${e(o.name)}</a></li>`;
        })
        .join("");
      return htmlResponse(200, page("Entrar no Zydon", `<p>Escolha a organização:</p><ul>${links}</ul>`));
    }
    const org = ctx.sim.org(orgId);
    const hidden = (n: string, v: string | null) =>
      v === null ? "" : `<input type="hidden" name="${n}" value="${e(v)}">`;
    return htmlResponse(
      200,
      page(
        `Autorizar ${plugin.name ?? plugin.pluginId}`,
        `<p>O aplicativo <strong>${e(plugin.name ?? plugin.pluginId)}</strong> quer acessar a organização
<strong>${e(org.name)}</strong>: produtos, estoque, preços, parceiros e pedidos.</p>
<form method="post" action="${A.AUTHORIZE_PATH}">
${hidden("client_id", clientId)}${hidden("redirect_uri", redirectUri)}${hidden("state", state)}${hidden("org", orgId)}
<button type="submit" name="decision" value="approve" data-testid="approve">Autorizar</button>
<button type="submit" name="decision" value="deny" data-testid="deny">Cancelar</button>
</form>`,
      ),
      { "set-cookie": `${ORG_COOKIE}=${encodeURIComponent(orgId)}; Path=/; HttpOnly; SameSite=Lax` },
    );
  });

  router.add("POST", A.AUTHORIZE_PATH, async (ctx) => {
    const f = formBody(ctx);
    const clientId = f.get("client_id") ?? "";
    const redirectUri = f.get("redirect_uri") ?? "";
    const state = f.get("state");
    const plugin = ctx.sim.plugins.get(clientId);
    let target: URL;
    try {
      target = new URL(redirectUri);
    } catch {
      return htmlResponse(400, page("Erro", "<p>redirect_uri inválido</p>"));
    }
    if (!plugin?.callbackUrls.includes(redirectUri)) {
      return redirect(withParams(target.toString(), { error: "invalid_client", state }));
    }
    const orgId = sessionOrg(ctx, f.get("org"));
    if (!orgId) return htmlResponse(401, page("Erro", "<p>Sessão expirada</p>"));
    if (f.get("decision") !== "approve") {
      return redirect(withParams(target.toString(), { error: "access_denied", state }));
    }
    if (ctx.sim.faults.authorizeError) {
      return redirect(withParams(target.toString(), { error: ctx.sim.faults.authorizeError, state }));
    }
    const code = await ctx.sim.authorize(orgId, clientId, redirectUri, state ?? undefined);
    return redirect(withParams(target.toString(), { code, state }));
  });

  // zydon-api.md §2.2 step 5 — path, auth and fields per the adapter's guesses.
  router.add("POST", c.tokenExchangePath, (ctx) => {
    const creds = A.parseBasicAuth(header(ctx.req, "authorization"));
    if (!creds) throw new SimHttpError(401, "UnauthorizedException", "Credenciais Basic Auth ausentes", {});
    const plugin = ctx.sim.plugins.get(creds.user);
    if (!plugin) throw new SimHttpError(404, "NotFoundException", "Plugin não encontrado");
    if (plugin.accessKey !== creds.password)
      throw new SimHttpError(401, "UnauthorizedException", "Credenciais inválidas");
    const ct = header(ctx.req, "content-type") ?? "";
    if (!ct.startsWith("application/x-www-form-urlencoded")) throw badRequest("Esperado form-urlencoded");
    const f = formBody(ctx);
    if (f.get("grant_type") !== c.tokenExchangeGrantType) throw badRequest("grant_type inválido");
    const code = f.get("code");
    const redirectUri = f.get("redirect_uri");
    if (!code || !redirectUri) throw badRequest("code e redirect_uri são obrigatórios");
    const grant = ctx.sim.codes.get(code);
    if (!grant || grant.pluginId !== plugin.pluginId)
      throw badRequest("Código de autorização inválido", "InvalidGrantException");
    if (grant.used) throw badRequest("Código de autorização já utilizado", "InvalidGrantException");
    if (grant.expiresAt < ctx.now.getTime())
      throw badRequest("Código de autorização expirado", "InvalidGrantException");
    if (grant.redirectUri !== redirectUri)
      throw badRequest("redirect_uri diferente da autorização", "InvalidGrantException");
    grant.used = true;
    const inst = ctx.sim.orgs.get(grant.orgId)?.installations.get(plugin.pluginId);
    if (!inst) throw badRequest("Plugin não instalado na organização", "InvalidGrantException");
    return jsonResponse(
      200,
      A.tokenExchangeResponseBody({
        accessKeyCode: inst.accessKeyCode,
        accessKeyToken: inst.accessKeyToken,
        organizationId: grant.orgId,
        includeOrganizationId: !ctx.sim.faults.omitOrganizationIdInExchange,
      }),
    );
  });

  // zydon-api.md §3: portal JWT from the access-key pair.
  router.add("POST", A.ACCESS_KEY_LOGIN_PATH, (ctx) => {
    const b = ctx.json();
    const code = typeof b.code === "string" ? b.code : "";
    const token = typeof b.token === "string" ? b.token : "";
    const org = ctx.sim.authenticate({
      ...ctx.req,
      headers: { [A.ACCESS_KEY_CODE_HEADER]: code, [A.ACCESS_KEY_TOKEN_HEADER]: token },
    });
    if (!org) throw new SimHttpError(401, "UnauthorizedException", "Chave de acesso inválida");
    const exp = Math.floor(ctx.now.getTime() / 1000) + 3600;
    const claims = {
      organization_id: org.id,
      ...(typeof b.solution_id === "string" ? { solution_id: b.solution_id } : {}),
      kind: "access_key",
      exp,
    };
    return jsonResponse(200, { accessToken: ctx.sim.signJwt(claims), expiresIn: 3600 });
  });

  // Adapter guess: the admin session check.
  router.add("GET", c.adminSessionVerifyPath, (ctx) => {
    const auth = header(ctx.req, "authorization") ?? "";
    const session = auth.startsWith("Bearer ") ? ctx.sim.adminSessions.get(auth.slice(7)) : undefined;
    if (!session) throw new SimHttpError(401, "UnauthorizedException", "Token inválido", {});
    return jsonResponse(200, {
      id: session.userId,
      organization_id: session.organizationId,
      // The user JWT's claim (zydon-api.md, "User JWT" [CAR-jwt]); the check's answer carrying it is the guess.
      organization_name: ctx.sim.orgs.get(session.organizationId)?.name ?? null,
      profile: session.profile,
      name: session.profile === "SELLER" ? "Administrador" : "Comprador",
    });
  });
}
