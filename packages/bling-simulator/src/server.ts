import { type FastifyInstance, fastify } from "fastify";
import { BlingSimulator, type BlingSimulatorOptions } from "./simulator.js";

/** Fastify shell over `sim.handle()`; bodies arrive raw so form posts and JSON reach the simulator untouched. */
export function buildBlingSimulatorApp(sim: BlingSimulator): FastifyInstance {
  const app = fastify({ logger: false, bodyLimit: 20 * 1024 * 1024 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));
  app.route({
    method: ["GET", "POST", "PUT", "DELETE", "PATCH"],
    url: "/*",
    handler: async (req, reply) => {
      const res = await sim.handle({
        method: req.method,
        url: req.url,
        headers: req.headers as Record<string, string | string[] | undefined>,
        body: req.body instanceof Buffer ? new Uint8Array(req.body) : undefined,
        remoteAddress: req.ip,
      });
      reply.code(res.status).headers(res.headers);
      return reply.send(res.body === "" ? undefined : res.body);
    },
  });
  app.addHook("onClose", async () => sim.dispose());
  return app;
}

export interface StartedBlingSimulator {
  sim: BlingSimulator;
  url: string;
  apiBaseUrl: string;
  close(): Promise<void>;
}

export async function startBlingSimulator(
  opts: BlingSimulatorOptions & { port?: number; host?: string } = {},
): Promise<StartedBlingSimulator> {
  const { port = 0, host = "127.0.0.1", ...simOpts } = opts;
  const sim = new BlingSimulator(simOpts);
  const app = buildBlingSimulatorApp(sim);
  await app.listen({ port, host });
  const addr = app.server.address();
  const actualPort = typeof addr === "object" && addr ? addr.port : port;
  const url = `http://${host}:${actualPort}`;
  // NF-e XML/DANFE links point at this server unless the caller chose another origin.
  if (simOpts.publicUrl === undefined) sim.publicUrl = url;
  return {
    sim,
    url,
    apiBaseUrl: `${url}/Api/v3`,
    close: async () => {
      sim.dispose();
      await app.close();
    },
  };
}
