import { z } from "zod";
import { brasiliaDateTime } from "../domain/brasilia-time.js";
import type { AnyAlertKind } from "./alert-settings.js";

/**
 * What each alert says (pt-BR): what happened, what the merchant must do, and the link to the app's page.
 * Written from the alert's stored facts only, which never hold a secret (no token, no key, no webhook URL).
 */
export interface AlertMessage {
  subject: string;
  /** What happened, one or more paragraphs. */
  happened: string[];
  /** What the merchant must do ("Nada a fazer" when nothing). */
  action: string;
  link: string;
  text: string;
  html: string;
}

const NUMBER = new Intl.NumberFormat("pt-BR");

function when(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "—" : brasiliaDateTime(d);
}

function count(n: number, one: string, many: string): string {
  return `${NUMBER.format(n)} ${n === 1 ? one : many}`;
}

const countsSchema = z.array(
  z.object({ entity: z.string(), done: z.number(), skipped: z.number(), failed: z.number() }),
);

/** Each kind's facts, as the watcher stores them (parsed again when the message is written). */
export const alertFactsSchemas = {
  bling_reconnect: z.object({ companyName: z.string().nullable().default(null) }),
  daily_limit: z.object({ until: z.string() }),
  order_failed: z.object({ zydonOrderId: z.string(), reason: z.string().nullable().default(null) }),
  nfe_failed: z.object({ zydonOrderId: z.string(), reason: z.string().nullable().default(null) }),
  stalled: z.object({
    minutes: z.number(),
    pendingSince: z.string(),
    lastSuccessAt: z.string().nullable(),
  }),
  first_sync: z.object({ finishedAt: z.string(), counts: countsSchema }),
  daily_summary: z.object({
    date: z.string(),
    synced: z.number(),
    skipped: z.number(),
    failed: z.number(),
    alerts: z.number(),
    suppressed: z.number(),
  }),
  test: z.object({ requestedAt: z.string() }),
} satisfies Record<AnyAlertKind, z.ZodType>;

export type AlertFacts<K extends AnyAlertKind> = z.input<(typeof alertFactsSchemas)[K]>;

const entityNames: Record<string, [string, string]> = {
  payment_methods: ["forma de pagamento", "formas de pagamento"],
  products: ["produto", "produtos"],
  stock: ["saldo de estoque", "saldos de estoque"],
  prices: ["preço", "preços"],
  customers: ["cliente", "clientes"],
  categories: ["categoria", "categorias"],
};

function countsLines(counts: z.output<typeof countsSchema>): string[] {
  return counts
    .filter((c) => c.done + c.skipped + c.failed > 0)
    .map((c) => {
      const [one, many] = entityNames[c.entity] ?? [c.entity, c.entity];
      const extra = [
        c.skipped > 0 ? count(c.skipped, "ignorado", "ignorados") : null,
        c.failed > 0 ? count(c.failed, "com falha", "com falha") : null,
      ].filter(Boolean);
      return `${count(c.done, one, many)} sincronizados${extra.length ? ` (${extra.join(", ")})` : ""}`;
    });
}

interface Parts {
  subject: string;
  happened: string[];
  action: string;
}

function parts(kind: AnyAlertKind, raw: unknown): Parts {
  switch (kind) {
    case "bling_reconnect": {
      const f = alertFactsSchemas.bling_reconnect.parse(raw);
      return {
        subject: "Reconecte o Bling: a sincronização está parada",
        happened: [
          `O acesso ao Bling${f.companyName ? ` da empresa ${f.companyName}` : ""} expirou ou foi revogado e o app não consegue mais renová-lo sozinho.`,
          "Enquanto isso, pedidos não são enviados ao Bling e estoque e preços não são atualizados no Zydon. Nada se perde: tudo é retomado quando o Bling for reconectado.",
        ],
        action: "Abra o app, aba Conexão, e clique em “Reconectar ao Bling”.",
      };
    }
    case "daily_limit": {
      const f = alertFactsSchemas.daily_limit.parse(raw);
      return {
        subject: `Limite diário do Bling atingido: sincronização pausada até ${when(f.until)}`,
        happened: [
          "A conta do Bling chegou ao limite de requisições do dia (120.000, dividido entre todos os aplicativos conectados a ela). O Bling recusa novas consultas até o fim do dia.",
          `O app pausou a sincronização e retoma sozinho em ${when(f.until)}, sem perder nada.`,
        ],
        action:
          "Nada a fazer se puder esperar. Se isso se repetir, verifique quais outros aplicativos usam a mesma conta do Bling.",
      };
    }
    case "order_failed": {
      const f = alertFactsSchemas.order_failed.parse(raw);
      return {
        subject: `Pedido ${f.zydonOrderId} não foi enviado ao Bling`,
        happened: [
          `O pedido ${f.zydonOrderId} do Zydon não pôde ser criado no Bling.`,
          `Motivo: ${f.reason ?? "o Bling recusou o pedido."}`,
        ],
        action: "Corrija o motivo acima e clique em “Tentar de novo” na aba Histórico do app.",
      };
    }
    case "nfe_failed": {
      const f = alertFactsSchemas.nfe_failed.parse(raw);
      return {
        subject: `NF-e do pedido ${f.zydonOrderId} não foi emitida`,
        happened: [
          `A NF-e do pedido ${f.zydonOrderId} não foi autorizada ou não pôde ser anexada ao pedido no Zydon.`,
          `Motivo: ${f.reason ?? "a SEFAZ rejeitou a nota."}`,
        ],
        action:
          "Corrija no Bling o que o motivo aponta e clique em “Tentar de novo” na aba Histórico do app: a mesma nota é reenviada.",
      };
    }
    case "stalled": {
      const f = alertFactsSchemas.stalled.parse(raw);
      return {
        subject: `Nenhuma sincronização há mais de ${f.minutes} minutos, com trabalho pendente`,
        happened: [
          `Há mudanças esperando para sincronizar desde ${when(f.pendingSince)}, e ${
            f.lastSuccessAt
              ? `a última sincronização bem-sucedida foi em ${when(f.lastSuccessAt)}`
              : "nada foi sincronizado ainda"
          }.`,
        ],
        action:
          "Abra a aba Sincronização do app para ver o estado. Se nada andar nos próximos minutos, fale com o suporte do app.",
      };
    }
    case "first_sync": {
      const f = alertFactsSchemas.first_sync.parse(raw);
      const skipped = f.counts.reduce((n, c) => n + c.skipped, 0);
      const failed = f.counts.reduce((n, c) => n + c.failed, 0);
      const lines = countsLines(f.counts);
      return {
        subject:
          skipped + failed > 0
            ? `Primeira sincronização concluída, com ${count(skipped + failed, "item", "itens")} a revisar`
            : "Primeira sincronização concluída",
        happened: [
          `A primeira sincronização do Bling para o Zydon terminou em ${when(f.finishedAt)}.`,
          ...(lines.length ? [lines.join("; ")] : []),
          "A partir de agora, mudanças de estoque e preço seguem sozinhas e os pedidos do Zydon vão para o Bling.",
        ],
        action:
          skipped + failed > 0
            ? "Veja na aba Histórico do app quais itens ficaram de fora e por quê."
            : "Nada a fazer.",
      };
    }
    case "daily_summary": {
      const f = alertFactsSchemas.daily_summary.parse(raw);
      return {
        subject: `Resumo do dia ${f.date}: ${count(f.synced, "item sincronizado", "itens sincronizados")}, ${count(f.failed, "com falha", "com falha")}`,
        happened: [
          `Nas últimas 24 horas: ${count(f.synced, "item sincronizado", "itens sincronizados")}, ${count(f.skipped, "ignorado", "ignorados")} e ${count(f.failed, "com falha", "com falha")}.`,
          `${count(f.alerts, "alerta enviado", "alertas enviados")}${
            f.suppressed > 0
              ? `; ${count(f.suppressed, "alerta semelhante não foi enviado", "alertas semelhantes não foram enviados")} pelo limite de um por hora`
              : ""
          }.`,
        ],
        action: f.failed > 0 ? "Veja na aba Histórico do app o que falhou e por quê." : "Nada a fazer.",
      };
    }
    case "test": {
      const f = alertFactsSchemas.test.parse(raw);
      return {
        subject: "Alerta de teste do Zydon ↔ Bling",
        happened: [
          `Este é um alerta de teste, pedido na página do app em ${when(f.requestedAt)}. Se você o recebeu, os alertas chegam aqui.`,
        ],
        action: "Nada a fazer.",
      };
    }
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The subject alone (stored on the alert when it is raised, so the page's list says what the e-mail said). */
export function alertSubject(kind: AnyAlertKind, facts: unknown): string {
  return parts(kind, facts).subject;
}

/** The whole message, as the e-mail and the webhook carry it. */
export function alertMessage(kind: AnyAlertKind, facts: unknown, link: string): AlertMessage {
  const p = parts(kind, facts);
  const text = [
    ...p.happened,
    "",
    `O que fazer: ${p.action}`,
    "",
    `Abrir o app: ${link}`,
    "",
    "— Zydon ↔ Bling. Você recebe este e-mail porque ele está nos destinatários de alertas do app; mude isso na aba Configurações.",
  ].join("\n");
  const html = [
    `<h2 style="font-family:sans-serif">${escapeHtml(p.subject)}</h2>`,
    ...p.happened.map((h) => `<p style="font-family:sans-serif">${escapeHtml(h)}</p>`),
    `<p style="font-family:sans-serif"><strong>O que fazer:</strong> ${escapeHtml(p.action)}</p>`,
    `<p style="font-family:sans-serif"><a href="${escapeHtml(link)}">Abrir o app</a></p>`,
    `<p style="font-family:sans-serif;color:#666;font-size:12px">Você recebe este e-mail porque ele está nos destinatários de alertas do app Zydon ↔ Bling; mude isso na aba Configurações.</p>`,
  ].join("\n");
  return { ...p, link, text, html };
}

/** Slack-compatible incoming-webhook body (`text` with mrkdwn), plus the same facts as fields. */
export function alertWebhookBody(
  kind: AnyAlertKind,
  message: AlertMessage,
  at: Date,
): Record<string, unknown> {
  return {
    text: `*${message.subject}*\n${message.happened.join("\n")}\n*O que fazer:* ${message.action}\n<${message.link}|Abrir o app>`,
    kind,
    subject: message.subject,
    happened: message.happened,
    action: message.action,
    link: message.link,
    at: at.toISOString(),
  };
}
