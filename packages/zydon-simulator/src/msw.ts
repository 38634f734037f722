import { HttpResponse, http, type RequestHandler } from "msw";
import type { ZydonSimulator } from "./simulator.js";

/** msw v2 handlers serving `origin` from the same simulator state (for tests without a listening server). */
export function zydonMswHandlers(sim: ZydonSimulator, origin: string): RequestHandler[] {
  const base = origin.replace(/\/$/, "");
  return [
    http.all(`${base}/*`, async ({ request }) => {
      const buf = new Uint8Array(await request.arrayBuffer());
      const headers: Record<string, string> = {};
      request.headers.forEach((v, k) => {
        headers[k] = v;
      });
      const res = await sim.handle({
        method: request.method,
        url: request.url,
        headers,
        body: buf.byteLength > 0 ? buf : undefined,
      });
      return new HttpResponse(res.body === "" ? null : res.body, {
        status: res.status,
        headers: res.headers,
      });
    }),
  ];
}
