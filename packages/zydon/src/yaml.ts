/**
 * The YAML subset the plugin manifest uses (zydon-api.md §2.4: `configuration.yml`, `native-resources/*.yml`):
 * block maps and lists of maps, scalars written as JSON (double-quoted strings, numbers, booleans, null), and
 * `#` comment lines. `toYaml` writes it; `parseYaml` reads what `toYaml` wrote (the simulator's App Center
 * reads the manifest files this way). Not a general YAML parser: anything else is an error, not a guess.
 */

export type YamlValue = string | number | boolean | null | YamlValue[] | { [k: string]: YamlValue };

/** Comments to write above a key, by dotted path (`auth.client_id`, `permissions`, `0.headers`). */
export type YamlComments = Record<string, string>;

const KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

function scalar(v: string | number | boolean | null): string {
  return JSON.stringify(v);
}

function isMap(v: YamlValue): v is { [k: string]: YamlValue } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function emit(v: YamlValue, indent: number, path: string, comments: YamlComments, out: string[]): void {
  const pad = " ".repeat(indent);
  const comment = (p: string, at: string) => {
    const c = comments[p];
    if (c) for (const line of c.split("\n")) out.push(`${at}# ${line}`);
  };
  if (Array.isArray(v)) {
    v.forEach((item, i) => {
      const p = path ? `${path}.${i}` : String(i);
      comment(p, pad);
      if (isMap(item)) {
        const inner: string[] = [];
        emit(item, indent + 2, p, comments, inner);
        // The first line of the map shares the dash: "- key: value".
        const firstIdx = inner.findIndex((l) => !l.trimStart().startsWith("#"));
        inner.forEach((l, j) => {
          out.push(j === firstIdx ? `${pad}- ${l.slice(indent + 2)}` : l);
        });
      } else if (Array.isArray(item)) {
        throw new Error("lists of lists are outside the manifest YAML subset");
      } else {
        out.push(`${pad}- ${scalar(item)}`);
      }
    });
    return;
  }
  if (isMap(v)) {
    for (const [k, val] of Object.entries(v)) {
      if (!KEY.test(k)) throw new Error(`key ${k} is outside the manifest YAML subset`);
      const p = path ? `${path}.${k}` : k;
      comment(p, pad);
      if (Array.isArray(val) && val.length === 0) out.push(`${pad}${k}: []`);
      else if (Array.isArray(val) || isMap(val)) {
        out.push(`${pad}${k}:`);
        emit(val, indent + 2, p, comments, out);
      } else out.push(`${pad}${k}: ${scalar(val)}`);
    }
    return;
  }
  out.push(`${pad}${scalar(v)}`);
}

export function toYaml(value: YamlValue, opts: { header?: string; comments?: YamlComments } = {}): string {
  const out: string[] = [];
  if (opts.header) for (const line of opts.header.split("\n")) out.push(`# ${line}`);
  emit(value, 0, "", opts.comments ?? {}, out);
  return `${out.join("\n")}\n`;
}

interface Line {
  indent: number;
  text: string;
  no: number;
}

function parseScalar(raw: string, no: number): YamlValue {
  if (raw === "[]") return [];
  try {
    const v: unknown = JSON.parse(raw);
    if (v === null || ["string", "number", "boolean"].includes(typeof v)) return v as YamlValue;
  } catch {
    // fall through
  }
  throw new Error(`line ${no}: ${raw} is not a JSON scalar`);
}

function splitKey(text: string, no: number): [string, string] {
  const i = text.indexOf(":");
  if (i <= 0) throw new Error(`line ${no}: expected "key: value"`);
  const key = text.slice(0, i);
  if (!KEY.test(key)) throw new Error(`line ${no}: bad key ${key}`);
  return [key, text.slice(i + 1).trim()];
}

function parseBlock(lines: Line[], start: number, indent: number): [YamlValue, number] {
  const first = lines[start];
  if (!first || first.indent !== indent) throw new Error(`line ${first?.no ?? "?"}: unexpected indentation`);
  if (first.text.startsWith("- ")) {
    const list: YamlValue[] = [];
    let i = start;
    while (i < lines.length && lines[i]?.indent === indent && lines[i]?.text.startsWith("- ")) {
      const line = lines[i] as Line;
      const rest = line.text.slice(2);
      if (rest.includes(":") && !rest.startsWith('"')) {
        // "- key: value" opens a map whose keys sit at indent + 2.
        const sub: Line[] = [{ indent: indent + 2, text: rest, no: line.no }];
        let j = i + 1;
        while (j < lines.length && (lines[j] as Line).indent > indent) sub.push(lines[j++] as Line);
        const [v] = parseBlock(sub, 0, indent + 2);
        list.push(v);
        i = j;
      } else {
        list.push(parseScalar(rest, line.no));
        i++;
      }
    }
    return [list, i];
  }
  const map: { [k: string]: YamlValue } = {};
  let i = start;
  while (i < lines.length && (lines[i] as Line).indent === indent) {
    const line = lines[i] as Line;
    if (line.text.startsWith("- ")) throw new Error(`line ${line.no}: list item inside a map`);
    const [key, rest] = splitKey(line.text, line.no);
    if (rest === "") {
      const next = lines[i + 1];
      if (!next || next.indent <= indent) throw new Error(`line ${line.no}: ${key} has no value`);
      const [v, j] = parseBlock(lines, i + 1, next.indent);
      map[key] = v;
      i = j;
    } else {
      map[key] = parseScalar(rest, line.no);
      i++;
    }
  }
  const stray = lines[i];
  if (stray && stray.indent > indent) throw new Error(`line ${stray.no}: unexpected indentation`);
  return [map, i];
}

export function parseYaml(text: string): YamlValue {
  const lines: Line[] = [];
  text.split("\n").forEach((raw, idx) => {
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    lines.push({ indent: raw.length - raw.trimStart().length, text: trimmed, no: idx + 1 });
  });
  if (lines.length === 0) return null;
  const [v, end] = parseBlock(lines, 0, 0);
  if (end !== lines.length) throw new Error(`line ${lines[end]?.no}: unexpected content`);
  return v;
}
