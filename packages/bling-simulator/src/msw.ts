import { type HttpHandler, HttpResponse, http } from "msw";
import type { BlingSimulator } from "./simulator.js";

/** msw v2 handlers answering for `origin` (e.g. `https://api.bling.com.br`) from the same simulator state. */
export function blingMswHandlers(sim: BlingSimulator, origin: string): HttpHandler[] {
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
