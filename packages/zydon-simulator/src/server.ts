import { type FastifyInstance, fastify } from "fastify";
import { ZydonSimulator, type ZydonSimulatorOptions } from "./simulator.js";

/** Fastify shell over `sim.handle()`: every body arrives raw so signatures, forms and multipart stay intact. */
export function buildZydonSimulatorApp(sim: ZydonSimulator): FastifyInstance {
  const app = fastify({ logger: false, bodyLimit: 50 * 1024 * 1024 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));
  app.route({
    method: ["GET", "POST", "PUT", "DELETE", "PATCH"],
    url: "/*",
    handler: async (req, reply) => {
      const body = req.body instanceof Buffer ? new Uint8Array(req.body) : undefined;
      const res = await sim.handle({
        method: req.method,
        url: req.url,
        headers: req.headers as Record<string, string | string[] | undefined>,
        body,
      });
      reply.code(res.status).headers(res.headers);
      return reply.send(res.body === "" ? undefined : res.body);
    },
  });
  app.addHook("onClose", async () => sim.dispose());
  return app;
}

export interface StartedZydonSimulator {
  sim: ZydonSimulator;
  url: string;
  close(): Promise<void>;
}

export async function startZydonSimulator(
  opts: ZydonSimulatorOptions & { port?: number; host?: string } = {},
): Promise<StartedZydonSimulator> {
  const { port = 0, host = "127.0.0.1", ...simOpts } = opts;
  const sim = new ZydonSimulator(simOpts);
  const app = buildZydonSimulatorApp(sim);
  await app.listen({ port, host });
  const addr = app.server.address();
  const actualPort = typeof addr === "object" && addr ? addr.port : port;
  const url = `http://${host}:${actualPort}`;
  sim.baseUrl = opts.baseUrl ?? url;
  return {
    sim,
    url,
    close: async () => {
      sim.dispose();
      await app.close();
    },
  };
}
