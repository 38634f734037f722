import { createHmac } from "node:crypto";
import type { SimClock } from "./clock.js";
import type { Rng } from "./random.js";

export type WebhookResource = "order" | "product" | "stock" | "virtual_stock" | "invoice";

export interface WebhookApp {
  clientId: string;
  clientSecret: string;
  webhookUrl?: string | undefined;
}

export interface WebhookFaults {
  /** Probability (0..1, or true = 1) that an event is silently never delivered. */
  dropWebhooks?: number | boolean;
  /** Probability that an event is delivered twice (same eventId, same body). */
  duplicateWebhooks?: number | boolean;
  /** Shuffle the deliveries that are due together instead of keeping event order. */
  reorderWebhooks?: boolean;
  /** Extra delay before the first attempt. */
  webhookDelayMs?: number;
  /** Treat every attempt as failed (as if the receiver answered 500), without calling it. */
  failWebhookDeliveries?: boolean;
}

export interface WebhookDeliveryLogEntry {
  eventId: string;
  event: string;
  accountId: string;
  companyId: string;
  clientId: string;
  url: string;
  attempt: number;
  at: number;
  ok: boolean;
  status?: number;
  error?: string;
  /** True when this attempt exhausted the retry schedule and disabled the resource's webhook for the app. */
  disabled?: boolean;
  body: string;
}

interface Job {
  seq: number;
  eventId: string;
  event: string;
  resource: WebhookResource;
  accountId: string;
  companyId: string;
  clientId: string;
  body: string;
  attempt: number;
  dueAt: number;
}

const rate = (v: number | boolean | undefined): number => (v === true ? 1 : typeof v === "number" ? v : 0);

/** At-least-once, signed webhook delivery with retries, auto-disable and fault switches. Never blocks the API. */
export class WebhookDispatcher {
  private readonly queue: Job[] = [];
  private readonly log: WebhookDeliveryLogEntry[] = [];
  private readonly disabled = new Set<string>();
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private pumping: Promise<void> | undefined;
  private disposed = false;
  faults: WebhookFaults = {};

  constructor(
    private readonly clock: SimClock,
    private readonly rng: Rng,
    private readonly apps: () => Iterable<WebhookApp>,
    private readonly installedFor: (accountId: string) => Set<string>,
    private readonly opts: { retrySchedule: number[]; timeoutMs: number; autoDeliver: boolean },
  ) {}

  /** Queue `resource.action` for every app installed on the account with a webhook URL and the resource enabled. */
  emit(accountId: string, companyId: string, resource: WebhookResource, action: string, data: unknown): void {
    const installed = this.installedFor(accountId);
    for (const app of this.apps()) {
      if (!app.webhookUrl || !installed.has(app.clientId)) continue;
      if (this.disabled.has(`${app.clientId}|${resource}`)) continue;
      const now = this.clock.now();
      const eventId = this.rng.uuidV7(now);
      const event = `${resource}.${action}`;
      const body = JSON.stringify({
        eventId,
        date: new Date(now).toISOString().replace(/\.\d{3}Z$/, "Z"),
        version: "v1",
        event,
        companyId,
        data,
      });
      if (this.rng.next() < rate(this.faults.dropWebhooks)) continue;
      const copies = this.rng.next() < rate(this.faults.duplicateWebhooks) ? 2 : 1;
      for (let i = 0; i < copies; i++) {
        this.queue.push({
          seq: this.seq++,
          eventId,
          event,
          resource,
          accountId,
          companyId,
          clientId: app.clientId,
          body,
          attempt: 0,
          dueAt: now + (this.faults.webhookDelayMs ?? 0),
        });
      }
    }
    this.schedule();
  }

  deliveries(): WebhookDeliveryLogEntry[] {
    return [...this.log];
  }

  pending(): number {
    return this.queue.length;
  }

  disabledWebhooks(): Array<{ clientId: string; resource: string }> {
    return [...this.disabled].map((k) => {
      const [clientId = "", resource = ""] = k.split("|");
      return { clientId, resource };
    });
  }

  enable(clientId: string, resource?: string): void {
    for (const k of [...this.disabled]) {
      if (k.startsWith(`${clientId}|`) && (resource === undefined || k === `${clientId}|${resource}`)) {
        this.disabled.delete(k);
      }
    }
  }

  /** Deliver every job due now (retries that come due during the flush included, when the clock is manual). */
  async flush(): Promise<void> {
    if (this.pumping) await this.pumping;
    for (;;) {
      const due = this.takeDue();
      if (due.length === 0) return;
      for (const job of due) await this.attempt(job);
    }
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private takeDue(): Job[] {
    const now = this.clock.now();
    const due = this.queue.filter((j) => j.dueAt <= now).sort((a, b) => a.dueAt - b.dueAt || a.seq - b.seq);
    for (const j of due) this.queue.splice(this.queue.indexOf(j), 1);
    if (this.faults.reorderWebhooks) this.rng.shuffle(due);
    return due;
  }

  private schedule(): void {
    if (!this.opts.autoDeliver || this.disposed || this.queue.length === 0) return;
    const next = Math.min(...this.queue.map((j) => j.dueAt));
    const wait = Math.max(0, next - this.clock.now());
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pumping = this.flush().finally(() => {
        this.pumping = undefined;
        this.schedule();
      });
    }, wait);
    this.timer.unref?.();
  }

  private async attempt(job: Job): Promise<void> {
    const app = [...this.apps()].find((a) => a.clientId === job.clientId);
    if (!app?.webhookUrl || this.disabled.has(`${job.clientId}|${job.resource}`)) return;
    job.attempt += 1;
    const entry: WebhookDeliveryLogEntry = {
      eventId: job.eventId,
      event: job.event,
      accountId: job.accountId,
      companyId: job.companyId,
      clientId: job.clientId,
      url: app.webhookUrl,
      attempt: job.attempt,
      at: this.clock.now(),
      ok: false,
      body: job.body,
    };
    if (this.faults.failWebhookDeliveries) {
      entry.error = "simulated failure";
    } else {
      try {
        const res = await fetch(app.webhookUrl, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-bling-signature-256": signWebhook(job.body, app.clientSecret),
          },
          body: job.body,
          signal: AbortSignal.timeout(this.opts.timeoutMs),
        });
        entry.status = res.status;
        entry.ok = res.status >= 200 && res.status < 300;
        await res.arrayBuffer().catch(() => undefined);
      } catch (err) {
        entry.error = err instanceof Error ? err.name : "error";
      }
    }
    if (!entry.ok) {
      const delay = this.opts.retrySchedule[job.attempt - 1];
      if (delay === undefined) {
        // Retries exhausted: Bling disables this resource's webhook for the app until re-enabled by hand.
        this.disabled.add(`${job.clientId}|${job.resource}`);
        entry.disabled = true;
      } else {
        this.queue.push({ ...job, dueAt: this.clock.now() + delay });
        this.schedule();
      }
    }
    this.log.push(entry);
  }
}

/** `sha256=<hex HMAC-SHA256(raw body, client secret)>`, as in the `X-Bling-Signature-256` header. */
export function signWebhook(rawBody: string, clientSecret: string): string {
  return `sha256=${createHmac("sha256", clientSecret).update(rawBody, "utf8").digest("hex")}`;
}
