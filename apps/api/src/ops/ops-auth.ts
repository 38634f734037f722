import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

/** The credential an operator sent: a Bearer token, or basic auth's password (any user name). */
export function presentedToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, value] = header.split(" ", 2);
  if (!value) return undefined;
  if (/^bearer$/i.test(scheme ?? "")) return value.trim();
  if (/^basic$/i.test(scheme ?? "")) {
    const decoded = Buffer.from(value.trim(), "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    return colon < 0 ? undefined : decoded.slice(colon + 1);
  }
  return undefined;
}

/** Constant-time comparison of fixed-length digests: neither length nor prefix of the token leaks. */
export function tokenMatches(expected: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  return timingSafeEqual(digest(expected), digest(presented));
}

/**
 * preHandler of every ops route: 401 with a basic-auth challenge (so a browser asks) unless the request
 * carries OPS_TOKEN. Routes are only registered when the token is set.
 */
export function requireOpsToken(token: string) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (tokenMatches(token, presentedToken(req.headers.authorization))) return;
    return reply
      .code(401)
      .header("www-authenticate", 'Basic realm="zydon-bling ops", charset="UTF-8"')
      .header("cache-control", "no-store")
      .send({ error: "unauthorized", message: "Operator authentication required." });
  };
}
