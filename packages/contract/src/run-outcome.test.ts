import { describe, expect, it } from "vitest";
import { describeProgress, type RunOutcome, runOutcomeSchema, type StepFacts } from "./run-outcome.js";

const T0 = "2026-03-10T14:00:00.000Z";
const T1 = "2026-03-10T14:05:00.000Z";

function step(entity: string, over: Partial<StepFacts> = {}): StepFacts {
  return { entity, status: "done", done: 10, failed: 0, skipped: 0, startedAt: T0, ...over };
}

const after = { initialSyncDone: true };
const one = (s: StepFacts, opts = after): RunOutcome =>
  describeProgress([s], opts).steps[0]?.outcome as RunOutcome;

describe("one outcome per step", () => {
  it("ok: finished with nothing failed or skipped", () => {
    expect(one(step("products"))).toEqual({
      kind: "ok",
      badge: "Concluída",
      sentence: "Concluída sem falhas.",
      action: "resync",
      review: [],
    });
  });

  it("ok_with_skips: 'Concluída com N itens ignorados', singular and plural, with 'ver quais'", () => {
    const three = one(step("customers", { skipped: 3 }));
    expect(three).toMatchObject({
      kind: "ok_with_skips",
      badge: "Concluída com avisos",
      sentence: "Concluída com 3 itens ignorados.",
      review: [{ outcome: "skipped", count: 3, label: "ver quais", entity: "customer", since: T0 }],
    });
    expect(one(step("customers", { skipped: 1 })).sentence).toBe("Concluída com 1 item ignorado.");
    expect(one(step("products", { skipped: 1234 })).sentence).toBe("Concluída com 1.234 itens ignorados.");
  });

  it("partial: failures win the badge, the sentence names failures and skips, each with its own link", () => {
    const both = one(step("products", { failed: 2, skipped: 1 }));
    expect(both).toMatchObject({
      kind: "partial",
      badge: "Com falhas",
      sentence: "Concluída com 2 falhas e 1 item ignorado.",
      nextStep: expect.stringContaining("Histórico"),
      action: "resync",
    });
    expect(both.review).toEqual([
      { outcome: "failed", count: 2, label: "ver falhas", entity: "product", since: T0 },
      { outcome: "skipped", count: 1, label: "ver ignorados", entity: "product", since: T0 },
    ]);
    const single = one(step("stock", { failed: 1 }));
    expect(single.sentence).toBe("Concluída com 1 falha.");
    expect(single.review).toEqual([
      { outcome: "failed", count: 1, label: "ver quais", entity: "stock", since: T0 },
    ]);
  });

  it("failed: the stored reason and next step, the counts so far, and 'Tentar de novo'", () => {
    const failure = {
      reason: "O Bling respondeu com erro (HTTP 503) em 8 tentativas seguidas.",
      nextStep: "Clique.",
    };
    const s = one(step("products", { status: "failed", failed: 1, skipped: 2, failure }));
    expect(s).toMatchObject({
      kind: "failed",
      badge: "Falhou",
      sentence: "Parou antes de terminar; até então, 1 falha e 2 itens ignorados.",
      reason: failure.reason,
      nextStep: "Clique.",
      action: "retry",
    });
    expect(s.review.map((r) => r.label)).toEqual(["ver falhas", "ver ignorados"]);
  });

  it("failed without a stored reason still says what happened and what to do", () => {
    const s = one(step("customers", { status: "failed", failure: null }));
    expect(s.sentence).toBe("Parou antes de terminar.");
    expect(s.reason).toBe("A etapa foi interrompida e o motivo não ficou registrado.");
    expect(s.nextStep).toMatch(/^Clique em “Tentar de novo”/);
    expect(s.review).toEqual([]);
  });

  it("not_run: a step behind a stopped one names it and has no button of its own", () => {
    const { steps } = describeProgress(
      [
        step("products", { status: "failed" }),
        step("stock", { status: "cancelled", done: 0, startedAt: null }),
      ],
      after,
    );
    expect(steps[1]?.outcome).toMatchObject({
      kind: "not_run",
      badge: "Não iniciada",
      sentence: "Não começou porque a etapa Produtos parou antes.",
      nextStep: "Ela começa quando Produtos continuar: “Tentar de novo” em Produtos.",
      action: null,
    });
    // Alone (its pass was replaced): it can be run again.
    expect(one(step("stock", { status: "cancelled" }))).toMatchObject({
      sentence: "Não começou.",
      nextStep: "Clique em “Sincronizar estoque de novo” para rodá-la.",
      action: "resync",
    });
  });

  it("queued and running: no finished wording, no button", () => {
    expect(one(step("stock", { status: "queued" }))).toMatchObject({
      kind: "queued",
      badge: "Na fila",
      review: [],
    });
    expect(one(step("stock", { status: "running", failed: 3 }))).toMatchObject({
      kind: "running",
      badge: "Em andamento",
      review: [],
    });
    expect(one(step("stock", { status: "running" })).action).toBeUndefined();
  });

  it("prices that go with the products say so, and an error there is still an error", () => {
    expect(one(step("prices", { withProducts: true, done: 0 }))).toMatchObject({
      kind: "ok",
      badge: "Junto com os produtos",
    });
    expect(one(step("prices", { withProducts: true, status: "failed" })).kind).toBe("failed");
  });

  it("before the first sync finished, a finished step offers no fresh pass (it would replace the checkpoint)", () => {
    const first = { initialSyncDone: false };
    expect(one(step("products"), first).action).toBeNull();
    expect(one(step("products", { status: "failed" }), first).action).toBe("retry");
  });

  it("never a success and a failure together, whatever the counts and status", () => {
    for (const status of ["queued", "running", "done", "failed", "cancelled"])
      for (const failed of [0, 1, 2])
        for (const skipped of [0, 1, 3]) {
          const facts = [step("products", { status, failed, skipped }), step("customers", { skipped })];
          const { steps, overall } = describeProgress(facts, after);
          for (const o of [...steps.map((s) => s.outcome), overall] as RunOutcome[]) {
            expect(runOutcomeSchema.safeParse(o).success).toBe(true);
            const text = `${o.badge} ${o.sentence}`;
            const said = `${status}/${failed}/${skipped}: ${text}`;
            // A count of failures ("1 falha", "2 falhas") or a stop never sits beside a plain success.
            if (/\d falhas?\b/.test(o.sentence) || o.kind === "failed")
              expect(o.badge, said).not.toMatch(/^Concluída/);
            if (o.kind === "ok") expect(text, said).not.toMatch(/\d (falha|ite)/);
            if (o.badge === "Concluída" || o.badge === "Concluída com avisos")
              expect(
                o.review.some((r) => r.outcome === "failed"),
                said,
              ).toBe(false);
            expect(text, said).not.toMatch(/desconhecido/i);
          }
          if (status === "done" && failed > 0) expect(steps[0]?.outcome.badge).toBe("Com falhas");
        }
  });
});

describe("one outcome per pass", () => {
  it("none before any step exists", () => {
    expect(describeProgress([], after).overall).toBeNull();
  });

  it("sums the steps: 'Concluída com 9 itens ignorados', one link over every type since the earliest start", () => {
    const { overall } = describeProgress(
      [
        step("payment_methods", { startedAt: T1 }),
        step("products", { skipped: 8, startedAt: T0 }),
        step("customers", { skipped: 1, startedAt: T1 }),
      ],
      after,
    );
    expect(overall).toEqual({
      kind: "ok_with_skips",
      badge: "Concluída com avisos",
      sentence: "Concluída com 9 itens ignorados.",
      review: [{ outcome: "skipped", count: 9, label: "ver quais", entity: null, since: T0 }],
    });
  });

  it("one step holding the count: the link names its type", () => {
    const { overall } = describeProgress([step("payment_methods"), step("products", { skipped: 2 })], after);
    expect(overall?.review).toEqual([
      { outcome: "skipped", count: 2, label: "ver quais", entity: "product", since: T0 },
    ]);
  });

  it("ok, partial, running and queued", () => {
    expect(describeProgress([step("products"), step("stock")], after).overall).toMatchObject({
      kind: "ok",
      sentence: "Concluída sem falhas.",
    });
    expect(
      describeProgress([step("products", { skipped: 1 }), step("stock", { failed: 1 })], after).overall,
    ).toMatchObject({
      kind: "partial",
      badge: "Com falhas",
      sentence: "Concluída com 1 falha e 1 item ignorado.",
    });
    expect(
      describeProgress([step("products"), step("stock", { status: "running" })], after).overall?.kind,
    ).toBe("running");
    expect(describeProgress([step("products", { status: "queued" })], after).overall?.kind).toBe("queued");
  });

  it("a stopped step: the pass failed at it, with its reason and next step, never 'Concluída'", () => {
    const failure = { reason: "O Bling não aceita mais o acesso desta integração.", nextStep: "Reconecte." };
    const { overall } = describeProgress(
      [
        step("payment_methods"),
        step("products", { status: "failed", skipped: 4, failure }),
        step("stock", { status: "cancelled", done: 0 }),
      ],
      { initialSyncDone: false },
    );
    expect(overall).toMatchObject({
      kind: "failed",
      badge: "Falhou",
      sentence: "A sincronização parou na etapa Produtos; até então, 4 itens ignorados.",
      reason: failure.reason,
      nextStep: "Reconecte.",
    });
  });

  it("a step cancelled alone: the pass says it did not start", () => {
    const { overall } = describeProgress([step("products"), step("stock", { status: "cancelled" })], after);
    expect(overall).toMatchObject({ kind: "not_run", sentence: "A etapa Estoque não começou." });
  });

  it("a Date start arrives as the ISO string the link filters by", () => {
    const { overall } = describeProgress([step("products", { skipped: 1, startedAt: new Date(T0) })], after);
    expect(overall?.review[0]?.since).toBe(T0);
  });
});
