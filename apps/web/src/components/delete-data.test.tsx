import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { HttpResponse, http } from "msw";
import { describe, expect, it, vi } from "vitest";
import { renderWithApi } from "../test/render.js";
import { appToken, server, url } from "../test/server.js";
import { DeleteData } from "./delete-data.js";

const message =
  "Dados pessoais excluídos a pedido da loja: 3 vínculos de clientes, 12 registros do histórico, " +
  "4 notificações recebidas, 2 pedidos sem detalhes do comprador. As credenciais do Bling foram apagadas.";

/** The API's purge route, as apps/api answers it; records every request body and session. */
function servePurge(answer?: () => Response) {
  const calls: Array<{ body: unknown; auth: string | null }> = [];
  server.use(
    http.post(url("/api/settings/data/purge"), async ({ request }) => {
      calls.push({ body: await request.json(), auth: request.headers.get("authorization") });
      return (
        answer?.() ??
        HttpResponse.json({
          purged: {
            customerLinks: 3,
            ledgerRows: 12,
            inboxRows: 4,
            orderExportsCleared: 2,
            syncRunErrorsCleared: 0,
            readinessReports: 1,
            companyNames: 1,
          },
          blingDisconnected: true,
          message,
        })
      );
    }),
  );
  return calls;
}

describe("Excluir meus dados", () => {
  it("asks twice (the typed word, then a last step) before deleting, and says what was deleted", async () => {
    const calls = servePurge();
    const onDeleted = vi.fn();
    const user = userEvent.setup();
    renderWithApi(<DeleteData onDeleted={onDeleted} />);

    await user.click(screen.getByRole("button", { name: "Excluir meus dados" }));
    const first = screen.getByRole("dialog");
    const next = screen.getByRole("button", { name: "Continuar" }) as HTMLButtonElement;
    expect(next.disabled).toBe(true);
    await user.type(screen.getByLabelText("Confirmação"), "excluir");
    expect(next.disabled, "the word is case-sensitive").toBe(true);
    await user.clear(screen.getByLabelText("Confirmação"));
    await user.type(screen.getByLabelText("Confirmação"), "EXCLUIR");
    expect(next.disabled).toBe(false);
    await user.click(next);
    expect(first.isConnected).toBe(false);
    // The second confirmation; nothing was sent yet.
    expect(screen.getByRole("alertdialog").textContent).toContain("Esta ação não pode ser desfeita");
    expect(calls).toEqual([]);
    await user.click(screen.getByRole("button", { name: "Sim, excluir definitivamente" }));

    await waitFor(() => expect(screen.getByRole("status").textContent).toBe(message));
    expect(calls).toEqual([{ body: { confirmation: "EXCLUIR" }, auth: `Bearer ${appToken}` }]);
    expect(onDeleted).toHaveBeenCalledOnce();
  });

  it("backing out at either step sends nothing", async () => {
    const calls = servePurge();
    const user = userEvent.setup();
    renderWithApi(<DeleteData />);
    await user.click(screen.getByRole("button", { name: "Excluir meus dados" }));
    await user.click(screen.getByRole("button", { name: "Cancelar" }));
    expect(screen.queryByRole("dialog")).toBeNull();
    await user.click(screen.getByRole("button", { name: "Excluir meus dados" }));
    await user.type(screen.getByLabelText("Confirmação"), "EXCLUIR");
    await user.click(screen.getByRole("button", { name: "Continuar" }));
    await user.click(screen.getByRole("button", { name: "Não, manter os dados" }));
    expect(screen.queryByRole("alertdialog")).toBeNull();
    expect(calls).toEqual([]);
    expect(screen.getByRole("button", { name: "Excluir meus dados" })).toBeTruthy();
  });

  it("shows the API's refusal in pt-BR", async () => {
    servePurge(() =>
      HttpResponse.json(
        { error: "confirmation_required", message: "Digite EXCLUIR para confirmar a exclusão dos dados." },
        { status: 400 },
      ),
    );
    const user = userEvent.setup();
    renderWithApi(<DeleteData />);
    await user.click(screen.getByRole("button", { name: "Excluir meus dados" }));
    await user.type(screen.getByLabelText("Confirmação"), "EXCLUIR");
    await user.click(screen.getByRole("button", { name: "Continuar" }));
    await user.click(screen.getByRole("button", { name: "Sim, excluir definitivamente" }));
    await waitFor(() =>
      expect(screen.getByRole("alert").textContent).toBe(
        "Digite EXCLUIR para confirmar a exclusão dos dados.",
      ),
    );
  });
});
