import { matchRoute } from "./api.js";
import { type SimClock, systemClock } from "./clock.js";
import { BlingControl } from "./control.js";
import { Domain } from "./domain.js";
import {
  BlingHttpError,
  formatBlingDate,
  header,
  jsonResponse,
  notFound,
  Query,
  type SimRequest,
  type SimResponse,
} from "./http-util.js";
import { defaultLimits, Limiter, type LimitSettings } from "./limits.js";
import { OAuthServer, type SimApp } from "./oauth.js";
import { IdSequence, Rng } from "./random.js";
import { Account } from "./store.js";
import { WebhookDispatcher, type WebhookFaults } from "./webhooks.js";

export interface BlingSimulatorOptions {
  clock?: SimClock;
  apps?: SimApp[];
  /** Authorize page redirects at once (tests) instead of showing the pt-BR consent form (demo). */
  autoApprove?: boolean;
  limits?: Partial<LimitSettings>;
  accessTokenTtlSec?: number;
  refreshTokenTtlSec?: number;
  codeTtlSec?: number;
  webhook?: {
    /** Delay before each retry (ms); its length is the number of retries before the webhook is disabled. */
    retrySchedule?: number[];
    timeoutMs?: number;
    /** Deliver on timers; defaults to true with the system clock, false with a manual one (use flushWebhooks). */
    autoDeliver?: boolean;
  };
  seed?: number;
  /** Body of `POST /pedidos/vendas/{id}/gerar-nfe`: the spec's top-level `{idNotaFiscal}` or `{data:{idNotaFiscal}}`. */
  nfeCreateShape?: "top-level" | "data";
  /**
   * Origin the NF-e XML/DANFE links point at. `startBlingSimulator` sets it to the server's own URL, which
   * answers them without a token (the `accessKey` query parameter is checked); default Bling's site.
   */
  publicUrl?: string;
}

export interface SimFaults extends WebhookFaults {
  /** Added (real-time) latency before every API response. */
  latencyMs?: number;
  /** Probability (0..1) that an authenticated API call answers 500 SERVER_ERROR without being processed. */
  errorRate5xx?: number;
  /** Probability (0..1) that an authenticated API call hangs for `timeoutHangMs` (default 30 s), unprocessed, then 504. */
  timeoutRate?: number;
  timeoutHangMs?: number;
}

export interface RequestLogEntry {
  /** When it arrived (counted by the per-second limit), not when it was answered. */
  at: number;
  method: string;
  path: string;
  status: number;
  accountId: string | null;
  /** `METHOD /template`, e.g. `GET /produtos/{idProduto}`. */
  endpoint: string;
}

export interface SimStats {
  total: number;
  byEndpoint: Record<string, number>;
  tooManyRequests: number;
  /** Most requests (accepted or not) that arrived within any 1 s window. */
  maxPerSecond: number;
}

/** In-memory Bling API v3: state plus behaviour, framework-free (`handle()` is the whole HTTP surface). */
export class BlingSimulator {
  readonly clock: SimClock;
  readonly control: BlingControl;
  readonly accounts = new Map<string, Account>();
  readonly apps = new Map<string, SimApp>();
  readonly rng: Rng;
  readonly oauth: OAuthServer;
  readonly limiter: Limiter;
  readonly webhooks: WebhookDispatcher;
  readonly domain: Domain;
  readonly requestLog: RequestLogEntry[] = [];
  faults: SimFaults = {};
  private readonly nfeCreateShape: "top-level" | "data";
  publicUrl: string;
  private readonly settleTimers = new Set<ReturnType<typeof setTimeout>>();
  private readonly autoSettle: boolean;
  private accountSeq = 0;
  private readonly hangs = new Set<() => void>();

  constructor(opts: BlingSimulatorOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.rng = new Rng(opts.seed ?? 20_260_115);
    const ids = new IdSequence(this.rng);
    for (const app of opts.apps ?? []) this.apps.set(app.clientId, { ...app });
    this.limiter = new Limiter({ ...defaultLimits, ...opts.limits }, () => this.clock.now());
    this.oauth = new OAuthServer(
      this.clock,
      this.rng,
      this.apps,
      this.accounts,
      () => this.createAccount({}),
      {
        accessSec: opts.accessTokenTtlSec ?? 21_600,
        refreshSec: opts.refreshTokenTtlSec ?? 30 * 86_400,
        codeSec: opts.codeTtlSec ?? 60,
      },
      opts.autoApprove ?? false,
    );
    this.webhooks = new WebhookDispatcher(
      this.clock,
      this.rng,
      () => this.apps.values(),
      (accountId) => this.oauth.installedFor(accountId),
      {
        retrySchedule: opts.webhook?.retrySchedule ?? [1_000, 5_000, 30_000, 120_000, 600_000, 1_800_000],
        timeoutMs: opts.webhook?.timeoutMs ?? 5_000,
        autoDeliver: opts.webhook?.autoDeliver ?? this.clock === systemClock,
      },
    );
    this.domain = new Domain(this.clock, this.rng, ids, (acc, resource, action, data) =>
      this.webhooks.emit(acc.accountId, acc.companyId, resource, action, data),
    );
    this.nfeCreateShape = opts.nfeCreateShape ?? "top-level";
    this.publicUrl = opts.publicUrl ?? "https://www.bling.com.br";
    // Delayed SEFAZ answers: on timers with real time (so their webhooks fire), lazily with a manual clock.
    this.autoSettle = opts.webhook?.autoDeliver ?? this.clock === systemClock;
    this.domain.onSettleScheduled = (ms) => {
      if (!this.autoSettle) return;
      const t = setTimeout(() => {
        this.settleTimers.delete(t);
        this.settleInvoices();
      }, ms + 1);
      this.settleTimers.add(t);
    };
    this.control = new BlingControl(this);
  }

  createAccount(init: { companyName?: string; cnpj?: string; email?: string }): Account {
    this.accountSeq += 1;
    const acc = new Account({
      accountId: `acc-${this.accountSeq}`,
      companyId: this.rng.hex(32),
      companyName: init.companyName ?? `Empresa Simulada ${this.accountSeq} Ltda`,
      cnpj: init.cnpj ?? "",
      email: init.email ?? `financeiro${this.accountSeq}@empresa-simulada.com.br`,
      dataContrato: formatBlingDate(this.clock.now()),
    });
    this.accounts.set(acc.accountId, acc);
    this.domain.upsertDeposit(acc, { descricao: "Geral", padrao: true });
    return acc;
  }

  account(accountId: string): Account {
    const acc = this.accounts.get(accountId);
    if (!acc) throw new Error(`unknown account ${accountId}`);
    return acc;
  }

  /** Stop timers and release hanging requests (call when the server closes). */
  /** Apply every delayed SEFAZ answer that is due, in every account (fires their invoice webhooks). */
  settleInvoices(): void {
    for (const acc of this.accounts.values()) this.domain.settleInvoices(acc);
  }

  dispose(): void {
    for (const t of this.settleTimers) clearTimeout(t);
    this.settleTimers.clear();
    this.webhooks.dispose();
    for (const release of this.hangs) release();
    this.hangs.clear();
  }

  async handle(req: SimRequest): Promise<SimResponse> {
    const url = new URL(req.url, "http://simulator.local");
    const method = req.method.toUpperCase();
    if (url.pathname.startsWith("/__control/"))
      return this.control.handleHttp(method, url.pathname.slice(11), req);
    if (method === "GET" && (url.pathname === "/relatorios/nfe.xml.php" || url.pathname === "/doc.view.php"))
      return this.invoiceDocument(url);
    const ip = header(req, "x-sim-client-ip") ?? req.remoteAddress ?? "127.0.0.1";
    const path = url.pathname.startsWith("/Api/v3/") ? url.pathname.slice(7) : undefined;
    let endpoint = `${method} ${url.pathname}`;
    let accountId: string | null = null;
    let res: SimResponse;
    if (this.faults.latencyMs) await this.sleep(this.faults.latencyMs);
    // When the request reached "Bling": what the per-second limit counts and `stats().maxPerSecond` measures,
    // not when its answer was ready (a slow listing or an injected hang would bunch later arrivals with it).
    let arrivedAt = this.clock.now();
    try {
      if (path === undefined) throw notFound("Recurso não encontrado. As rotas da API ficam em /Api/v3.");
      endpoint = `${method} ${path}`;
      this.limiter.checkIp(ip, path === "/oauth/token");
      if (path === "/oauth/authorize" && method === "GET") res = this.oauth.authorizePage(req, url);
      else if (path === "/oauth/authorize" && method === "POST") res = this.oauth.authorizeSubmit(req);
      else if (path === "/oauth/token" && method === "POST") res = this.oauth.token(req);
      else if (path === "/oauth/revoke" && method === "POST") res = this.oauth.revoke(req);
      else {
        const m = matchRoute(method, path);
        if (m === undefined) throw notFound();
        if (m === "method") {
          throw new BlingHttpError(
            405,
            "METHOD_NOT_ALLOWED",
            "Método não permitido",
            `O método ${method} não é suportado neste recurso.`,
          );
        }
        endpoint = `${method} ${m.route.template}`;
        const who = this.oauth.authenticate(req);
        accountId = who.accountId;
        const acc = this.account(who.accountId);
        arrivedAt = this.clock.now();
        this.limiter.checkAccount(acc);
        await this.injectFaults();
        this.domain.settleInvoices(acc);
        res = m.route.handler({
          acc,
          q: new Query(url.searchParams),
          params: m.params,
          req,
          now: this.clock.now(),
          domain: this.domain,
          limits: this.limiter.settings,
          nfeCreateShape: this.nfeCreateShape,
          docBaseUrl: this.publicUrl,
        });
      }
    } catch (err) {
      if (err instanceof BlingHttpError) res = jsonResponse(err.status, err.toBody());
      else {
        res = jsonResponse(500, {
          error: {
            type: "SERVER_ERROR",
            message: "Não foi possível executar a operação",
            description: "Um erro interno ocorreu.",
          },
        });
        // A simulator bug must be visible to whoever runs the tests, without request data (may hold secrets).
        console.error("[bling-simulator] handler crashed:", err instanceof Error ? err.stack : err);
      }
    }
    this.limiter.recordResult(ip, res.status);
    this.requestLog.push({
      at: arrivedAt,
      method,
      path: url.pathname + url.search,
      status: res.status,
      accountId,
      endpoint,
    });
    return res;
  }

  /**
   * The public XML (`/relatorios/nfe.xml.php`) and DANFE (`/doc.view.php`, a small PDF) of an authorized
   * note; `chaveAcesso` + `accessKey` identify it, no bearer token (as Bling's own links).
   */
  private invoiceDocument(url: URL): SimResponse {
    const chave = url.searchParams.get("chaveAcesso") ?? "";
    const key = url.searchParams.get("accessKey") ?? "";
    for (const acc of this.accounts.values()) {
      this.domain.settleInvoices(acc);
      for (const inv of acc.invoices.values()) {
        if (!chave || inv.chaveAcesso !== chave || inv.accessKey !== key) continue;
        if (inv.situacao !== 5 && inv.situacao !== 6) break;
        if (url.pathname === "/relatorios/nfe.xml.php")
          return {
            status: 200,
            headers: { "content-type": "application/xml; charset=utf-8" },
            body: inv.xml,
          };
        return {
          status: 200,
          headers: { "content-type": "application/pdf" },
          body: danfePdf(inv.numero, inv.chaveAcesso),
        };
      }
    }
    return {
      status: 404,
      headers: { "content-type": "text/plain; charset=utf-8" },
      body: "Documento não encontrado",
    };
  }

  private async injectFaults(): Promise<void> {
    const f = this.faults;
    if (f.timeoutRate && this.rng.next() < f.timeoutRate) {
      await this.sleep(f.timeoutHangMs ?? 30_000);
      throw new BlingHttpError(504, "SERVER_ERROR", "Tempo esgotado", "O servidor não respondeu a tempo.");
    }
    if (f.errorRate5xx && this.rng.next() < f.errorRate5xx) {
      throw new BlingHttpError(
        500,
        "SERVER_ERROR",
        "Não foi possível executar a operação",
        "Um erro interno ocorreu.",
      );
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const release = () => {
        clearTimeout(t);
        this.hangs.delete(release);
        resolve();
      };
      const t = setTimeout(release, ms);
      this.hangs.add(release);
    });
  }

  stats(accountId?: string): SimStats {
    const entries = this.requestLog.filter((e) => accountId === undefined || e.accountId === accountId);
    const byEndpoint: Record<string, number> = {};
    let tooManyRequests = 0;
    for (const e of entries) {
      byEndpoint[e.endpoint] = (byEndpoint[e.endpoint] ?? 0) + 1;
      if (e.status === 429) tooManyRequests += 1;
    }
    const times = entries.map((e) => e.at).sort((a, b) => a - b);
    let maxPerSecond = 0;
    let lo = 0;
    for (let hi = 0; hi < times.length; hi++) {
      while ((times[hi] as number) - (times[lo] as number) >= 1000) lo++;
      maxPerSecond = Math.max(maxPerSecond, hi - lo + 1);
    }
    return { total: entries.length, byEndpoint, tooManyRequests, maxPerSecond };
  }
}

/** A minimal one-page PDF standing in for the DANFE (ASCII only, so the string body is byte-exact). */
function danfePdf(numero: string, chave: string): string {
  const text = `DANFE NF-e ${numero} - chave ${chave}`;
  const stream = `BT /F1 10 Tf 40 800 Td (${text}) Tj ET`;
  const objs = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  ];
  let out = "%PDF-1.4\n";
  const offsets: number[] = [];
  objs.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) out += `${String(off).padStart(10, "0")} 00000 n \n`;
  out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return out;
}
