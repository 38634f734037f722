import { LinksRepository } from "@zb/db";
import { OutboundFetcher, OutboundRefusedError } from "@zb/zydon";
import { describe, expect, it } from "vitest";
import { ledgerRows, useSyncTestDatabase } from "../test-support/test-context.js";
import { syncProductImages } from "./products.js";

/**
 * A product image link the guarded fetcher refuses (issue 21, finding 1): the merchant reads why in the
 * ledger, and the same links are not fetched again (give_up, remembered by their hash).
 */
const tdb = useSyncTestDatabase();

async function refusal(url: string): Promise<OutboundRefusedError> {
  const fetcher = new OutboundFetcher();
  try {
    const err = await fetcher.fetch(url, { kind: "image", timeoutMs: 2_000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(err instanceof OutboundRefusedError)) throw new Error(`expected a refusal, got ${String(err)}`);
    return err;
  } finally {
    await fetcher.close();
  }
}

describe("syncProductImages with a refused image link", () => {
  it("records 'Imagem ignorada' (pt-BR, skipped, not retryable) and does not fetch the same links again", async () => {
    const ctx = await tdb.context();
    const url = "http://169.254.169.254/latest/meta-data/foto.png";
    await new LinksRepository(ctx.db).upsert({
      tenantId: ctx.tenantId,
      entity: "product",
      blingId: "501",
      zydonId: "z-501",
      naturalKey: "CAM-501",
      data: { imageUrls: [url], imageUrlsAt: ctx.now().toISOString() },
    });
    ctx.zydon.log.fail("setProductImages", await refusal(url));

    await syncProductImages(ctx, "501");
    const rows = await ledgerRows(ctx, "image");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ outcome: "skipped", retryable: 0 });
    expect(rows[0]?.reason).toBe(
      `Imagem ignorada: o endereço ${url} não é permitido: aponta para uma rede interna. Corrija o link da imagem no Bling.`,
    );

    // The same links again (e.g. the next product change): not fetched, nothing new in the ledger.
    await syncProductImages(ctx, "501");
    expect(ctx.zydon.log.calls.filter((c) => c.method === "setProductImages")).toHaveLength(1);
    expect(await ledgerRows(ctx, "image")).toHaveLength(1);
  });
});
