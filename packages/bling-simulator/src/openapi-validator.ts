import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { readProcessEnv } from "@zb/config";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { specExceptions } from "./spec-exceptions.js";

type Schema = Record<string, unknown>;

export interface BlingSpec {
  paths: Record<string, Record<string, Schema>>;
  components: { schemas: Record<string, Schema> };
}

export interface ValidationResult {
  ok: boolean;
  errors: string[];
}

// ajv-formats is CJS; its default export arrives wrapped under ESM interop.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv,
) => Ajv;

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(resolve(dir, "pnpm-workspace.yaml"))) return dir;
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

/** `BLING_OPENAPI_PATH`, else `<repo root>/../shared/contracts/bling-openapi-v3.json`. */
export function blingSpecPath(): string {
  const fromEnv = readProcessEnv().BLING_OPENAPI_PATH;
  if (fromEnv) return resolve(fromEnv);
  return resolve(repoRoot(), "../shared/contracts/bling-openapi-v3.json");
}

const cache = new Map<string, BlingSpec | undefined>();

/** The official spec, or undefined when the file is missing (tests then skip, naming BLING_OPENAPI_PATH). */
export function loadBlingSpec(path: string = blingSpecPath()): BlingSpec | undefined {
  if (!cache.has(path))
    cache.set(path, existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as BlingSpec) : undefined);
  return cache.get(path);
}

type Direction = "request" | "response";

function isObj(v: unknown): v is Schema {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** OpenAPI 3.0 → JSON Schema: `nullable`, and required-ness of readOnly/writeOnly by direction. */
function transform(node: unknown, dir: Direction, original: Record<string, Schema>): unknown {
  if (Array.isArray(node)) return node.map((n) => transform(n, dir, original));
  if (!isObj(node)) return node;
  const out: Schema = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "example" || k === "examples" || k === "description") continue;
    out[k] = transform(v, dir, original);
  }
  if (out.nullable === true && typeof out.type === "string") out.type = [out.type, "null"];
  delete out.nullable;
  if (Array.isArray(out.required) && isObj(out.properties)) {
    const props = out.properties as Record<string, Schema>;
    const flag = dir === "request" ? "readOnly" : "writeOnly";
    out.required = (out.required as string[]).filter((name) => {
      const p = props[name];
      if (!p) return true;
      const target = typeof p.$ref === "string" ? original[p.$ref.replace("#/components/schemas/", "")] : p;
      return !(p[flag] === true || target?.[flag] === true);
    });
  }
  return out;
}

function rewriteRefs(node: unknown, id: string): unknown {
  if (Array.isArray(node)) return node.map((n) => rewriteRefs(n, id));
  if (!isObj(node)) return node;
  const out: Schema = {};
  for (const [k, v] of Object.entries(node)) {
    out[k] = k === "$ref" && typeof v === "string" && v.startsWith("#/") ? `${id}${v}` : rewriteRefs(v, id);
  }
  return out;
}

class SpecValidator {
  private readonly ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(
    readonly spec: BlingSpec,
    private readonly dir: Direction,
  ) {
    addFormats(this.ajv);
    this.ajv.addFormat("datetime", /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}/);
    const patched = structuredClone(spec.components.schemas);
    for (const ex of specExceptions) {
      const s = patched[ex.schema];
      if (s) ex.patch(s);
    }
    const schemas = transform(patched, dir, patched) as Record<string, Schema>;
    this.ajv.addSchema({ $id: `bling-${dir}`, components: { schemas } });
  }

  validate(key: string, schema: Schema, value: unknown): ValidationResult {
    let fn = this.compiled.get(key);
    if (!fn) {
      fn = this.ajv.compile(
        rewriteRefs(transform(schema, this.dir, this.spec.components.schemas), `bling-${this.dir}`) as Schema,
      );
      this.compiled.set(key, fn);
    }
    const ok = fn(value) as boolean;
    return {
      ok,
      errors: ok
        ? []
        : (fn.errors ?? []).map(
            (e) => `${e.instancePath || "/"} ${e.message ?? ""} ${JSON.stringify(e.params)}`,
          ),
    };
  }
}

const validators = new Map<string, SpecValidator>();

function validator(dir: Direction): SpecValidator | undefined {
  const spec = loadBlingSpec();
  if (!spec) return undefined;
  const key = `${dir}:${blingSpecPath()}`;
  let v = validators.get(key);
  if (!v) {
    v = new SpecValidator(spec, dir);
    validators.set(key, v);
  }
  return v;
}

const jsonSchemaOf = (content: unknown): Schema | undefined =>
  isObj(content) && isObj(content["application/json"])
    ? ((content["application/json"] as Schema).schema as Schema | undefined)
    : undefined;

const missingSpec = (): ValidationResult => ({
  ok: false,
  errors: [`Bling OpenAPI file not found at ${blingSpecPath()} (set BLING_OPENAPI_PATH)`],
});

/**
 * Validate a response body against the spec for `METHOD pathTemplate` (e.g. `GET`, `/produtos/{idProduto}`).
 * Undeclared error statuses (401, 403, 429, ...) are checked against the generic ErrorResponse.
 */
export function validateResponse(
  method: string,
  pathTemplate: string,
  status: number,
  body: unknown,
): ValidationResult {
  const v = validator("response");
  if (!v) return missingSpec();
  const op = v.spec.paths[pathTemplate]?.[method.toLowerCase()];
  if (!op) return { ok: false, errors: [`${method} ${pathTemplate} is not in the spec`] };
  const responses = (op.responses ?? {}) as Record<string, Schema>;
  const declared = responses[String(status)];
  if (!declared) {
    if (status >= 400) {
      return v.validate("ErrorResponse", { $ref: "#/components/schemas/ErrorResponse" }, body);
    }
    return { ok: false, errors: [`status ${status} is not declared for ${method} ${pathTemplate}`] };
  }
  const schema = jsonSchemaOf(declared.content);
  if (!schema) {
    const empty = body === undefined || body === null || body === "";
    return empty ? { ok: true, errors: [] } : { ok: false, errors: [`status ${status} declares no body`] };
  }
  return v.validate(`${method} ${pathTemplate} ${status}`, schema, body);
}

/** Validate a request body against the spec's requestBody for the operation. */
export function validateRequestBody(method: string, pathTemplate: string, body: unknown): ValidationResult {
  const v = validator("request");
  if (!v) return missingSpec();
  const op = v.spec.paths[pathTemplate]?.[method.toLowerCase()];
  if (!op) return { ok: false, errors: [`${method} ${pathTemplate} is not in the spec`] };
  const schema = jsonSchemaOf((op.requestBody as Schema | undefined)?.content);
  if (!schema) return { ok: false, errors: [`${method} ${pathTemplate} declares no JSON request body`] };
  return v.validate(`${method} ${pathTemplate} request`, schema, body);
}
