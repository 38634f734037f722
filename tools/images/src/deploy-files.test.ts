import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { registerQueueMetrics, registerUsageMetrics, ZbMetrics } from "@zb/metrics";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const read = (p: string) => readFileSync(`${root}${p}`, "utf8");

type Service = {
  profiles?: string[];
  image?: string;
  build?: { context: string; dockerfile: string };
  volumes?: string[];
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  secrets?: string[];
};
const compose = parse(read("docker-compose.yml"), { merge: true }) as {
  services: Record<string, Service>;
  secrets: Record<string, { environment?: string }>;
};

/** Every metric name the product registers (API and worker share one set). */
function productMetricNames(): Set<string> {
  const m = new ZbMetrics({ app: "worker" });
  registerQueueMetrics(m, [], Date.now, { laneOf: () => undefined });
  registerUsageMetrics(m, { accounts: async () => [], today: async () => 0 }, { topN: 1 });
  return new Set(m.registry.getMetricsAsArray().map((x) => x.name));
}

describe("docker-compose.yml", () => {
  it("keeps Postgres and Redis as the default services and adds the full and observability profiles", () => {
    const s = compose.services;
    expect(s.postgres?.profiles).toBeUndefined();
    expect(s.redis?.profiles).toBeUndefined();
    for (const name of ["migrate", "api", "worker"]) expect(s[name]?.profiles, name).toEqual(["full"]);
    for (const name of ["prometheus", "grafana"]) expect(s[name]?.profiles, name).toEqual(["observability"]);
  });

  it("builds the product from the repo's Dockerfiles, migrates first, and points it at the compose services", () => {
    const s = compose.services;
    expect(s.api?.build).toEqual({ context: ".", dockerfile: "Dockerfile.api" });
    expect(s.worker?.build).toEqual({ context: ".", dockerfile: "Dockerfile.worker" });
    for (const name of ["api", "worker", "migrate"]) {
      const df = s[name]?.build?.dockerfile as string;
      expect(existsSync(`${root}${df}`), df).toBe(true);
      expect(s[name]?.environment?.DATABASE_URL).toBe("postgres://postgres@postgres:5432/zydon_bling");
      expect(s[name]?.environment?.REDIS_URL).toBe("redis://redis:6379");
    }
    expect(s.api?.depends_on?.migrate?.condition).toBe("service_completed_successfully");
    expect(s.worker?.depends_on?.migrate?.condition).toBe("service_completed_successfully");
    expect(s.migrate?.command?.join(" ")).toContain("node_modules/@zb/db/src/cli/migrate-cli.ts");
    expect(existsSync(`${root}packages/db/src/cli/migrate-cli.ts`)).toBe(true);
    expect(s.worker?.environment?.WORKER_METRICS_PORT).toBe("9464");
  });

  it("mounts deploy/ files that exist and hands Prometheus the operator token as a secret", () => {
    for (const name of ["prometheus", "grafana"]) {
      for (const v of compose.services[name]?.volumes ?? []) {
        const [src] = v.split(":");
        if (src?.startsWith("./")) expect(existsSync(`${root}${src.slice(2)}`), v).toBe(true);
      }
    }
    expect(compose.services.prometheus?.secrets).toEqual(["ops_token"]);
    expect(compose.secrets.ops_token?.environment).toBe("OPS_TOKEN");
  });
});

describe("deploy/prometheus/prometheus.yml", () => {
  const prom = parse(read("deploy/prometheus/prometheus.yml")) as {
    scrape_configs: Array<{
      job_name: string;
      metrics_path: string;
      authorization?: { type: string; credentials_file: string };
      static_configs: Array<{ targets: string[] }>;
    }>;
  };
  it("scrapes the API with the operator token and the worker's listener, at compose's service names", () => {
    const api = prom.scrape_configs.find((j) => j.job_name === "zydon-bling-api");
    const worker = prom.scrape_configs.find((j) => j.job_name === "zydon-bling-worker");
    expect(api?.authorization).toEqual({ type: "Bearer", credentials_file: "/run/secrets/ops_token" });
    expect(api?.static_configs.flatMap((c) => c.targets)).toContain("api:3000");
    expect(worker?.static_configs.flatMap((c) => c.targets)).toContain("worker:9464");
    expect(api?.metrics_path).toBe("/metrics");
  });
});

describe("deploy/grafana", () => {
  const dash = JSON.parse(read("deploy/grafana/dashboards/zydon-bling.json")) as {
    uid: string;
    panels: Array<{ title: string; datasource: { uid: string }; targets: Array<{ expr: string }> }>;
  };
  const datasource = parse(read("deploy/grafana/provisioning/datasources/prometheus.yml")) as {
    datasources: Array<{ uid: string; url: string }>;
  };

  it("every panel queries the provisioned datasource, and only metrics the product exports", () => {
    const names = productMetricNames();
    const used = new Set<string>();
    for (const p of dash.panels) {
      expect(p.datasource.uid, p.title).toBe(datasource.datasources[0]?.uid);
      for (const t of p.targets) {
        for (const m of t.expr.match(/\bzb_[a-z0-9_]+/g) ?? []) {
          const base = m.replace(/_(bucket|count|sum)$/, "");
          expect(names.has(base) || names.has(m), `${p.title}: ${m}`).toBe(true);
          used.add(base);
        }
      }
    }
    // The list: queue depth and age, budget grants/waits/refusals, 429s, daily usage, webhook lag,
    // job durations and failures, token refreshes.
    for (const m of [
      "zb_queue_jobs",
      "zb_queue_oldest_waiting_seconds",
      "zb_queue_waiting_by_lane",
      "zb_queue_oldest_waiting_by_lane_seconds",
      "zb_budget_grants_total",
      "zb_budget_waits_total",
      "zb_budget_refusals_total",
      "zb_bling_429_total",
      "zb_bling_requests_today",
      "zb_webhook_lag_seconds",
      "zb_job_duration_seconds",
      "zb_job_failures_total",
      "zb_bling_token_refreshes_total",
    ]) {
      expect(used.has(m), m).toBe(true);
    }
    expect(datasource.datasources[0]?.url).toBe("http://prometheus:9090");
  });
});

describe("Dockerfiles", () => {
  for (const [file, app, entry] of [
    ["Dockerfile.api", "api", "src/server.ts"],
    ["Dockerfile.worker", "worker", "src/main.ts"],
  ] as const) {
    it(`${file}: multi-stage, production tree from deploy/build-layout.sh, non-root, node as PID 1`, () => {
      const text = read(file);
      expect(text.match(/^FROM /gm)).toHaveLength(2);
      expect(text).toContain(`RUN pnpm install --frozen-lockfile`);
      expect(text).toMatch(new RegExp(`sh deploy/build-layout\\.sh ${app} /out`));
      const final = text.slice(text.lastIndexOf("\nFROM "));
      expect(final).toContain("COPY --from=build");
      expect(final).toMatch(/^USER node$/m);
      expect(final).toContain(`WORKDIR /srv/apps/${app}`);
      expect(final).toContain(`CMD ["node", "--import", "tsx", "${entry}"]`);
      expect(final).not.toMatch(/pnpm (install|start)/);
    });
  }
  it(".dockerignore keeps local installs, builds and secrets out of the build context", () => {
    const ignore = read(".dockerignore").split("\n");
    for (const p of ["**/node_modules", "**/dist", ".env", ".sandbox", ".git"]) expect(ignore).toContain(p);
  });
});
