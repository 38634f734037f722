import type { FastifyInstance, FastifyRequest } from "fastify";

/**
 * Inside an encapsulated plugin: every body arrives as the exact bytes sent, so signatures are checked over
 * what the sender signed (never a re-serialization), and JSON errors are ours to explain. Only JSON is
 * taken (charset parameter allowed): Bling and Zydon send nothing else, and any other type — or none —
 * is answered 415 by Fastify before a byte is read.
 */
export function useRawBody(instance: FastifyInstance, bodyLimit: number): void {
  instance.removeAllContentTypeParsers();
  instance.addContentTypeParser("application/json", { parseAs: "buffer", bodyLimit }, (_req, body, done) => {
    done(null, body);
  });
}

export function rawBodyOf(req: FastifyRequest): Buffer {
  return Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
}
