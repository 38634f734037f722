import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import { renderWithApi } from "../test/render.js";
import { server, url } from "../test/server.js";
import { AlertsCard } from "./alerts-card.js";

const allOn = {
  bling_reconnect: true,
  daily_limit: true,
  order_failed: true,
  nfe_failed: true,
  stalled: true,
  first_sync: true,
};
const settings = (over: Record<string, unknown> = {}) => ({
  emails: [],
  webhook: null,
  kinds: allOn,
  stalledMinutes: 60,
  dailySummary: false,
  ...over,
});

describe("Alertas", () => {
  it("saves recipients, kinds and minutes as the API expects, and shows its field errors beside the fields", async () => {
    const puts: unknown[] = [];
    let stored = settings();
    server.use(
      http.get(url("/api/settings/alerts"), () => HttpResponse.json({ settings: stored, items: [] })),
      http.put(url("/api/settings/alerts"), async ({ request }) => {
        const body = (await request.json()) as Record<string, unknown>;
        puts.push(body);
        if (puts.length === 1)
          return HttpResponse.json(
            {
              errors: {
                "emails.1": 'E-mail "dono" inválido: use o formato nome@empresa.com.br.',
                stalledMinutes: "Use pelo menos 15 minutos.",
              },
            },
            { status: 400 },
          );
        stored = settings({
          emails: body.emails,
          webhook: { host: "hooks.slack.com" },
          kinds: body.kinds,
          stalledMinutes: body.stalledMinutes,
        });
        return HttpResponse.json(stored);
      }),
    );
    const user = userEvent.setup();
    renderWithApi(<AlertsCard />);
    const emails = await screen.findByLabelText("E-mails que recebem os alertas");
    await user.type(emails, "financeiro@loja.com.br, dono");
    await user.clear(screen.getByLabelText(/Minutos sem sincronizar/));
    await user.type(screen.getByLabelText(/Minutos sem sincronizar/), "5");
    await user.click(screen.getByTestId("alerts-save"));
    expect(
      await screen.findByText('E-mail "dono" inválido: use o formato nome@empresa.com.br.'),
    ).toBeTruthy();
    expect(screen.getByText("Use pelo menos 15 minutos.")).toBeTruthy();
    expect(emails.getAttribute("aria-invalid")).toBe("true");
    expect(screen.getByText("Corrija os campos marcados: nada foi salvo.")).toBeTruthy();
    // The test alert needs a saved channel first.
    expect(screen.getByTestId("alerts-test")).toHaveProperty("disabled", true);

    await user.clear(emails);
    await user.type(emails, "financeiro@loja.com.br\ndono@loja.com.br");
    await user.clear(screen.getByLabelText(/Minutos sem sincronizar/));
    await user.type(screen.getByLabelText(/Minutos sem sincronizar/), "30");
    await user.type(screen.getByLabelText("Webhook (opcional)"), "https://hooks.slack.com/services/T/B/x");
    await user.click(screen.getByLabelText(/NF-e rejeitada ou não emitida/));
    await user.click(screen.getByTestId("alerts-save"));
    expect(await screen.findByText("Alertas salvos.")).toBeTruthy();
    expect(puts[1]).toEqual({
      emails: ["financeiro@loja.com.br", "dono@loja.com.br"],
      webhookUrl: "https://hooks.slack.com/services/T/B/x",
      kinds: { ...allOn, nfe_failed: false },
      stalledMinutes: 30,
      dailySummary: false,
    });
    // Only the host comes back; the field is empty again and saving now keeps the saved webhook.
    expect((await screen.findByTestId("alert-webhook-saved")).textContent).toContain("hooks.slack.com");
    expect((screen.getByLabelText("Webhook (opcional)") as HTMLInputElement).value).toBe("");
    await user.click(screen.getByTestId("alerts-save"));
    await waitFor(() => expect(puts).toHaveLength(3));
    expect(puts[2]).not.toHaveProperty("webhookUrl");
    await user.click(screen.getByRole("button", { name: "Remover" }));
    await user.click(screen.getByTestId("alerts-save"));
    await waitFor(() => expect(puts).toHaveLength(4));
    expect(puts[3]).toMatchObject({ webhookUrl: null });
  });

  it("sends a test alert and follows it until each channel's outcome is shown", async () => {
    let reads = 0;
    const item = (status: string, channels: unknown[]) => ({
      id: 7,
      kind: "test",
      subject: "Alerta de teste do Zydon ↔ Bling",
      status,
      createdAt: "2026-12-03T13:00:00.000Z",
      sentAt: status === "sent" ? "2026-12-03T13:00:02.000Z" : null,
      suppressedCount: 0,
      channels,
    });
    let sent = false;
    server.use(
      http.get(url("/api/settings/alerts"), () => {
        reads++;
        const items = !sent
          ? []
          : reads < 4
            ? [item("pending", [])]
            : [
                item("failed", [
                  { channel: "email", status: "sent", tries: 1, error: null, target: "1 destinatário" },
                  {
                    channel: "webhook",
                    status: "failed",
                    tries: 5,
                    error: "o endereço hooks.slack.com respondeu 404.",
                    target: "hooks.slack.com",
                  },
                ]),
              ];
        return HttpResponse.json({
          settings: settings({ emails: ["dono@loja.com.br"], webhook: { host: "hooks.slack.com" } }),
          items,
        });
      }),
      http.post(url("/api/settings/alerts/test"), () => {
        sent = true;
        return HttpResponse.json({ status: "enqueued", alertId: 7 }, { status: 202 });
      }),
    );
    const user = userEvent.setup();
    renderWithApi(<AlertsCard pollMs={10} />);
    expect(await screen.findByText("Nenhum alerta enviado ainda.")).toBeTruthy();
    await user.click(screen.getByTestId("alerts-test"));
    expect(await screen.findByText(/Alerta de teste a caminho/)).toBeTruthy();
    await waitFor(() => expect(screen.getByTestId("alert-item").getAttribute("data-status")).toBe("failed"));
    const row = screen.getByTestId("alert-item");
    expect(within(row).getByText("Não enviado")).toBeTruthy();
    const channels = within(row)
      .getAllByTestId("alert-channel")
      .map((c) => c.textContent);
    expect(channels).toEqual([
      "E-mail (1 destinatário): entregue",
      "Webhook (hooks.slack.com): falhou — o endereço hooks.slack.com respondeu 404.",
    ]);
  });
});
