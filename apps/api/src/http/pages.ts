import type { FastifyReply } from "fastify";

function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );
}

/**
 * The end of a browser round trip (install, Bling login) when it cannot simply redirect to the page:
 * a small pt-BR page saying what happened and what to do. No script (CSP), no internals.
 */
export function sendResultPage(
  reply: FastifyReply,
  status: number,
  input: { title: string; message: string; backUrl?: string; backLabel?: string },
): FastifyReply {
  const back = input.backUrl
    ? `<p><a href="${escapeHtml(input.backUrl)}">${escapeHtml(input.backLabel ?? "Voltar às configurações")}</a></p>`
    : "";
  const html = `<!doctype html>
<html lang="pt-BR"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(input.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#1f2937}h1{font-size:1.4rem}</style>
</head><body><main><h1>${escapeHtml(input.title)}</h1><p>${escapeHtml(input.message)}</p>${back}</main></body></html>`;
  return reply.code(status).header("cache-control", "no-store").type("text/html; charset=utf-8").send(html);
}

/**
 * A yes/no question before something is stored: two buttons of one same-origin POST form (no script), the
 * hidden fields sent back with the chosen `decision` ("confirm" or "cancel").
 */
export function sendConfirmPage(
  reply: FastifyReply,
  input: { title: string; question: string; action: string; fields: Record<string, string> },
): FastifyReply {
  const hidden = Object.entries(input.fields)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join("");
  const html = `<!doctype html>
<html lang="pt-BR"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(input.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#1f2937}h1{font-size:1.4rem}button{font:inherit;padding:.5rem 1rem;margin-right:.5rem}</style>
</head><body><main><h1>${escapeHtml(input.title)}</h1><p>${escapeHtml(input.question)}</p>
<form method="post" action="${escapeHtml(input.action)}">${hidden}
<button type="submit" name="decision" value="confirm">Confirmar</button>
<button type="submit" name="decision" value="cancel">Cancelar</button>
</form></main></body></html>`;
  return reply.code(200).header("cache-control", "no-store").type("text/html; charset=utf-8").send(html);
}

/**
 * The pt-BR text for a provider's `error=` callback value. Known values get their own message (own keys
 * only: `constructor` or `__proto__` are not known errors); an unknown value is quoted only when it looks
 * like an error code, so nobody can put a sentence of their choosing on our page.
 */
export function providerErrorMessage(
  known: Readonly<Record<string, string>>,
  error: string,
  unknown: { withCode: (code: string) => string; generic: string },
): string {
  if (Object.hasOwn(known, error)) return known[error] as string;
  return /^[A-Za-z0-9_.-]{1,64}$/.test(error) ? unknown.withCode(error) : unknown.generic;
}

/** A provider value fit for a log line: bounded, never a whole attacker-chosen payload. */
export function loggable(value: string): string {
  return value.length > 64 ? `${value.slice(0, 64)}…` : value;
}

/** JSON error body shape of the whole API: `{ error, message }`, message in pt-BR. */
export function sendError(reply: FastifyReply, status: number, error: string, message: string): FastifyReply {
  return reply.code(status).send({ error, message });
}
