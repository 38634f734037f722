import { describe, expect, it } from "vitest";
import { computePageState, type PageStateFacts, pageStateSchema } from "./state.js";

const active: PageStateFacts = {
  tenantState: "active",
  bling: "connected",
  merchantPaused: false,
  initialSyncDone: true,
  initialSyncRunning: false,
  waiting: 0,
  catchingUp: false,
  attention: [],
};

describe("computePageState", () => {
  it("never says 'Ativa' before connecting, after disconnecting or after uninstalling", () => {
    const before = computePageState({ ...active, tenantState: "awaiting_bling", bling: "not_connected" });
    expect(before).toMatchObject({ state: "not_connected", canSync: false, canPause: false });
    expect(before.title).not.toMatch(/Ativa/);
    // Disconnected while paused: the pause can still be lifted, nothing can sync.
    const disconnected = computePageState({ ...active, bling: "not_connected", merchantPaused: true });
    expect(disconnected).toMatchObject({ state: "not_connected", canSync: false, canPause: true });
    const gone = computePageState({ ...active, tenantState: "paused" });
    expect(gone).toMatchObject({ state: "uninstalled", canSync: false, canPause: false });
    expect(computePageState({ ...active, bling: "needs_reauth" })).toMatchObject({
      state: "reconnect",
      canSync: false,
    });
  });

  it("paused counts the changes waiting; the catch-up after resuming is its own state", () => {
    const paused = computePageState({ ...active, merchantPaused: true, waiting: 3 });
    expect(paused).toMatchObject({ state: "paused", canSync: false, waiting: 3 });
    expect(paused.detail).toContain("3 alterações recebidas do Bling aguardam");
    expect(computePageState({ ...active, merchantPaused: true, waiting: 1 }).detail).toContain(
      "1 alteração recebida do Bling aguarda",
    );
    const resuming = computePageState({ ...active, catchingUp: true, waiting: 3 });
    expect(resuming).toMatchObject({ state: "catching_up", canSync: true });
    expect(resuming.detail).toBe("Aplicando 3 alterações recebidas durante a pausa.");
  });

  it("first sync, attention and active, each a valid answer of the contract", () => {
    const first = computePageState({ ...active, initialSyncDone: false, initialSyncRunning: true });
    expect(first).toMatchObject({ state: "first_sync", canSync: false });
    // Stopped: never "em andamento" beside a step that failed, and "Tentar de novo" can act.
    const stopped = computePageState({ ...active, initialSyncDone: false, initialSyncStopped: true });
    expect(stopped).toMatchObject({
      state: "first_sync",
      title: "Primeira sincronização parou",
      canSync: true,
    });
    expect(stopped.detail).not.toMatch(/em andamento/);
    expect(pageStateSchema.parse(stopped)).toEqual(stopped);
    // Continued: running again.
    expect(
      computePageState({
        ...active,
        initialSyncDone: false,
        initialSyncStopped: true,
        initialSyncRunning: true,
      }),
    ).toMatchObject({ title: "Primeira sincronização", canSync: false });
    const held = computePageState({
      ...active,
      attention: [{ setting: "stock.zeroGuard", reason: "retida", guard: "stock" }],
    });
    expect(held).toMatchObject({ state: "attention", canSync: true });
    const ok = computePageState(active);
    expect(ok).toMatchObject({ state: "active", title: "Ativa" });
    for (const s of [first, held, ok]) expect(pageStateSchema.parse(s)).toEqual(s);
  });
});
