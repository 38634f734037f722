import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import { renderWithApi } from "../test/render.js";
import { server, url } from "../test/server.js";
import { ResyncItemCard } from "./resync-item.js";

const requestedAt = "2026-12-03T10:00:00.000Z";
const row = (over: Record<string, unknown>) => ({
  id: 9,
  entity: "product",
  entityKey: "CAM-P",
  action: "resync",
  outcome: "synced",
  reason: "Sincronização pedida pelo lojista: produto atualizado no Zydon; estoque atualizado (1).",
  attempts: 1,
  updatedAt: "2026-12-03T10:00:02.000Z",
  retryable: false,
  ...over,
});

describe("Sincronizar um item", () => {
  it("sends the SKU, waits for that item's answer in the ledger and shows it inline", async () => {
    const posts: unknown[] = [];
    let reads = 0;
    server.use(
      http.post(url("/api/settings/resync-item"), async ({ request }) => {
        posts.push(await request.json());
        return HttpResponse.json({ status: "enqueued", requestedAt }, { status: 202 });
      }),
      http.get(url("/api/settings/ledger"), ({ request }) => {
        reads++;
        const q = new URL(request.url).searchParams;
        expect(q.get("search")).toBe("CAM-P");
        expect(q.get("entity")).toBe("product");
        // First an older answer for the same item (before this click), then this click's.
        const items =
          reads === 1 ? [row({ updatedAt: "2026-12-03T09:00:00.000Z", reason: "antiga" })] : [row({})];
        return HttpResponse.json({ items, total: items.length, page: 0, pageSize: 20 });
      }),
    );
    const user = userEvent.setup();
    renderWithApi(<ResyncItemCard pollMs={10} />);
    await user.type(screen.getByLabelText("SKU"), "  CAM-P ");
    await user.click(screen.getByTestId("resync-item-submit"));
    const result = await screen.findByTestId("resync-item-result");
    expect(result.textContent).toContain("produto atualizado no Zydon; estoque atualizado (1).");
    expect(result.textContent).not.toContain("antiga");
    expect(result.getAttribute("data-outcome")).toBe("synced");
    expect(posts).toEqual([{ kind: "sku", value: "CAM-P" }]);
    expect(reads).toBe(2);
  });

  it("an order by number; an empty field or a refusal says why, nothing is waited for", async () => {
    const posts: unknown[] = [];
    server.use(
      http.post(url("/api/settings/resync-item"), async ({ request }) => {
        posts.push(await request.json());
        return HttpResponse.json(
          { error: "paused", message: "A integração está pausada. Retome para sincronizar." },
          { status: 409 },
        );
      }),
    );
    const user = userEvent.setup();
    renderWithApi(<ResyncItemCard pollMs={10} />);
    await user.selectOptions(screen.getByLabelText("Item"), "order");
    await user.click(screen.getByTestId("resync-item-submit"));
    expect(screen.getByText("Informe o número do pedido no Zydon.")).toBeTruthy();
    expect(posts).toEqual([]);
    await user.type(screen.getByLabelText("Número do pedido"), "ZP-1042");
    await user.click(screen.getByTestId("resync-item-submit"));
    expect((await screen.findByRole("alert")).textContent).toBe(
      "A integração está pausada. Retome para sincronizar.",
    );
    expect(posts).toEqual([{ kind: "order", value: "ZP-1042" }]);
    await waitFor(() => expect(screen.getByTestId("resync-item-submit")).toHaveProperty("disabled", false));
  });
});
