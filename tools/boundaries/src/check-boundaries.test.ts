import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { checkBoundaries, importsOf, isTestFile, type Rule } from "./check-boundaries.js";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

let root = "";

/** A small monorepo in a temporary directory: two apps, a package, a kit, a tool — all clean. */
function plantRepo(): string {
  root = mkdtempSync(join(tmpdir(), "zb-boundaries-"));
  const pkg = (dir: string, name: string, extra: Record<string, unknown> = {}) =>
    write(`${dir}/package.json`, JSON.stringify({ name, ...extra }));
  pkg("apps/api", "@zb/api", { devDependencies: { "@zb/testing": "workspace:*" } });
  pkg("apps/worker", "@zb/worker");
  pkg("packages/sync", "@zb/sync");
  pkg("packages/testing", "@zb/testing");
  pkg("tools/bench", "@zb/bench", { dependencies: { "@zb/testing": "workspace:*" } });
  write("apps/api/src/app.ts", 'import { x } from "@zb/sync";\nimport { y } from "./routes/y.js";\n');
  write("apps/api/src/routes/y.ts", 'import type { Z } from "../deps.js";\n');
  write("apps/api/src/app.test.ts", 'import { testEnv } from "@zb/testing";\n');
  write("apps/api/src/test-support/harness.ts", 'import { testEnv } from "@zb/testing";\n');
  write("apps/worker/src/main.ts", 'import { x } from "@zb/sync";\n');
  write("packages/testing/src/index.ts", 'import { x } from "@zb/sync";\n');
  write("tools/bench/src/main.ts", 'import { composeWorker } from "@zb/worker";\nimport "@zb/testing";\n');
  return root;
}

function write(path: string, text: string): void {
  const full = join(root, path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, text);
}

afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = "";
});

describe("checkBoundaries", () => {
  it("passes a clean tree", () => {
    expect(checkBoundaries(plantRepo())).toEqual([]);
  });

  const plants: { rule: Rule; path: string; text: string; where: string }[] = [
    {
      rule: "app-imports-app",
      path: "apps/api/src/uses-worker.ts",
      text: '// the worker\n\nimport { composeWorker } from "@zb/worker";\n',
      where: "apps/api/src/uses-worker.ts:3",
    },
    {
      rule: "app-imports-tool",
      path: "apps/worker/src/bench.ts",
      text: 'export { run } from "@zb/bench";\n',
      where: "apps/worker/src/bench.ts:1",
    },
    {
      rule: "package-imports-app-or-tool",
      path: "packages/sync/src/x.ts",
      text: 'const m = await import("@zb/api");\n',
      where: "packages/sync/src/x.ts:1",
    },
    {
      rule: "product-imports-test-kit",
      path: "apps/worker/src/seed.ts",
      text: 'import {\n  testEnv,\n} from "@zb/testing";\n',
      where: "apps/worker/src/seed.ts:3",
    },
    {
      rule: "src-import",
      path: "tools/bench/src/world.ts",
      text: 'import type { E2E } from "@zb/worker/src/e2e/harness.js";\n',
      where: "tools/bench/src/world.ts:1",
    },
    {
      rule: "relative-escapes-package",
      path: "apps/worker/src/compose.ts",
      text: 'import { app } from "../../api/src/app.js";\n',
      where: "apps/worker/src/compose.ts:1",
    },
  ];

  for (const p of plants)
    it(`reports ${p.rule} at file:line`, () => {
      plantRepo();
      write(p.path, p.text);
      const found = checkBoundaries(root);
      expect(found.map((v) => `${v.where} ${v.rule}`)).toContain(`${p.where} ${p.rule}`);
      // Each plant breaks its own rule (src-import from a tool is the only broken rule there).
      expect(new Set(found.map((v) => v.rule))).toEqual(new Set([p.rule]));
    });

  it("reports a simulator or kit under a product package's dependencies (devDependencies are fine)", () => {
    plantRepo();
    write(
      "apps/worker/package.json",
      JSON.stringify({ name: "@zb/worker", dependencies: { "@zb/zydon-simulator": "workspace:*" } }),
    );
    expect(checkBoundaries(root)).toEqual([
      {
        where: "apps/worker/package.json",
        rule: "product-depends-on-test-kit",
        message: "@zb/worker lists @zb/zydon-simulator under dependencies; move it to devDependencies",
      },
    ]);
  });

  it("ignores imports inside comments and strings that only look like imports", () => {
    expect(importsOf('// import { a } from "@zb/api";\nconst s = \'from "@zb/api"\';\n')).toEqual([]);
  });

  it("treats tests and their support files as tests", () => {
    for (const p of [
      "src/a.test.ts",
      "src/e2e/b.int.test.ts",
      "src/c.e2e.test.tsx",
      "src/resilience/d.fault.int.test.ts",
      "src/resilience/e.attacks.int.test.ts",
      "src/test-support/harness.ts",
      "src/test/setup.ts",
      "src/test-fixtures/bling.ts",
      "vitest.config.ts",
      "src/summary.global.ts",
    ])
      expect(isTestFile(p), p).toBe(true);
    expect(isTestFile("src/compose.ts")).toBe(false);
    expect(isTestFile("src/testing.ts")).toBe(false);
  });

  it("passes on this repository", () => {
    expect(checkBoundaries(repoRoot)).toEqual([]);
  });
});
