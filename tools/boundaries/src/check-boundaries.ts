import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import ts from "typescript";

/**
 * The monorepo's import boundaries (issue 13), checked over every .ts/.tsx file under apps/, packages/ and
 * tools/ and every package.json there. Biome's `noRestrictedImports` can forbid module names per folder, but
 * not "another app than this one", a relative import leaving its package, or a package.json section, so
 * `pnpm lint` runs this check after Biome.
 *
 * - apps (apps/*) import no other app and no tool; packages (packages/*) import no app and no tool;
 * - product code (non-test files of apps/* and packages/*, the kits and simulators themselves excepted)
 *   imports no simulator and no test kit, and its package.json lists them under devDependencies only;
 * - nobody imports another package's `src/` (`@zb/<name>/src/...`): packages are used through their exports;
 * - a relative import stays inside its own package.
 */

export type Rule =
  | "app-imports-app"
  | "app-imports-tool"
  | "package-imports-app-or-tool"
  | "product-imports-test-kit"
  | "src-import"
  | "relative-escapes-package"
  | "product-depends-on-test-kit";

export interface Violation {
  /** Repo-relative path, with `:line` for imports. */
  where: string;
  rule: Rule;
  message: string;
}

type Kind = "app" | "package" | "tool";

interface Workspace {
  dir: string;
  name: string;
  kind: Kind;
}

/** Simulators and test kits: product code may use them in tests only. */
export const TEST_ONLY_PACKAGES = [
  "@zb/bling-simulator",
  "@zb/zydon-simulator",
  "@zb/e2e-kit",
  "@zb/testing",
];

const KIND_OF_FOLDER: Record<string, Kind> = { apps: "app", packages: "package", tools: "tool" };
const SKIPPED_DIRS = new Set(["node_modules", "dist", ".turbo", "coverage", "test-artifacts"]);

/** Tests and their support files (fixtures, harnesses, vitest setup and global setup, configs). */
export function isTestFile(path: string): boolean {
  const p = path.split(sep).join("/");
  return (
    /\.test\.tsx?$/.test(p) ||
    /(^|\/)(test-support|test|test-fixtures)\//.test(p) ||
    /(^|\/)vitest\.[\w.]+\.ts$/.test(p) ||
    /\.global\.ts$/.test(p) ||
    /(^|\/)[\w.-]*setup\.ts$/.test(p)
  );
}

function readWorkspaces(root: string): Workspace[] {
  const out: Workspace[] = [];
  for (const [folder, kind] of Object.entries(KIND_OF_FOLDER)) {
    const base = join(root, folder);
    if (!existsSync(base)) continue;
    for (const entry of readdirSync(base).sort()) {
      const dir = join(base, entry);
      const pkgPath = join(dir, "package.json");
      if (!statSync(dir).isDirectory() || !existsSync(pkgPath)) continue;
      const pkg = JSON.parse(readFileSync(pkgPath, "utf8")) as { name?: unknown };
      if (typeof pkg.name === "string") out.push({ dir, name: pkg.name, kind });
    }
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name) && !entry.name.startsWith("."))
        out.push(...sourceFiles(join(dir, entry.name)));
    } else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith(".d.ts")) out.push(join(dir, entry.name));
  }
  return out;
}

/** Every module specifier a file imports or re-exports (static, dynamic, `import type`), with its line. */
export function importsOf(text: string): { specifier: string; line: number }[] {
  const info = ts.preProcessFile(text, true, true);
  const lineOf = (pos: number) => text.slice(0, pos).split("\n").length;
  return info.importedFiles.map((f) => ({ specifier: f.fileName, line: lineOf(f.pos) }));
}

/** The package a bare `@zb/...` specifier names (`@zb/worker/main` → `@zb/worker`), or null. */
function packageOf(specifier: string): string | null {
  const m = /^(@zb\/[^/]+)/.exec(specifier);
  return m ? (m[1] ?? null) : null;
}

/** The package's own folder is the whole package; a product package is any app or package but the kits. */
function isProductPackage(w: Workspace): boolean {
  return w.kind !== "tool" && !TEST_ONLY_PACKAGES.includes(w.name);
}

export function checkBoundaries(root: string): Violation[] {
  const workspaces = readWorkspaces(root);
  const byName = new Map(workspaces.map((w) => [w.name, w]));
  const violations: Violation[] = [];
  const rel = (p: string) => relative(root, p).split(sep).join("/");

  for (const w of workspaces) {
    for (const file of sourceFiles(w.dir)) {
      const test = isTestFile(relative(w.dir, file));
      for (const { specifier, line } of importsOf(readFileSync(file, "utf8"))) {
        const where = `${rel(file)}:${line}`;
        const add = (rule: Rule, message: string) => violations.push({ where, rule, message });

        if (specifier.startsWith(".")) {
          const target = resolve(dirname(file), specifier);
          if (target !== w.dir && !target.startsWith(w.dir + sep))
            add(
              "relative-escapes-package",
              `"${specifier}" leaves ${rel(w.dir)}; import the package by name`,
            );
          continue;
        }
        const name = packageOf(specifier);
        if (!name) continue;
        if (/^@zb\/[^/]+\/src(\/|$)/.test(specifier))
          add("src-import", `"${specifier}" reaches into ${name}'s src/; use its package exports`);
        if (name === w.name) continue;
        const target = byName.get(name);
        if (w.kind === "app" && target?.kind === "app")
          add("app-imports-app", `app ${w.name} imports app ${name}`);
        if (w.kind === "app" && target?.kind === "tool")
          add("app-imports-tool", `app ${w.name} imports tool ${name}`);
        if (w.kind === "package" && (target?.kind === "app" || target?.kind === "tool"))
          add("package-imports-app-or-tool", `package ${w.name} imports ${target.kind} ${name}`);
        if (isProductPackage(w) && !test && TEST_ONLY_PACKAGES.includes(name))
          add("product-imports-test-kit", `product code of ${w.name} imports ${name} (tests only)`);
      }
    }

    if (isProductPackage(w)) {
      const pkg = JSON.parse(readFileSync(join(w.dir, "package.json"), "utf8")) as {
        dependencies?: Record<string, string>;
      };
      for (const dep of Object.keys(pkg.dependencies ?? {}))
        if (TEST_ONLY_PACKAGES.includes(dep))
          violations.push({
            where: `${rel(join(w.dir, "package.json"))}`,
            rule: "product-depends-on-test-kit",
            message: `${w.name} lists ${dep} under dependencies; move it to devDependencies`,
          });
    }
  }
  return violations;
}
