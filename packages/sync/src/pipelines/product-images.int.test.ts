import { LinksRepository } from "@zb/db";
import { OutboundFetcher, OutboundRefusedError, ZydonNetworkError } from "@zb/zydon";
import { describe, expect, it } from "vitest";
import { ClaimBusyError } from "../engine/errors.js";
import { ledgerRows, useSyncTestDatabase } from "../test-support/test-context.js";
import { MAX_IMAGES_PER_PRODUCT } from "./product-images.js";
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

describe("syncProductImages: caps, given-up links, one upload per image (issue 21 #4, issue 17 #2)", () => {
  async function linkedProduct(ctx: Awaited<ReturnType<typeof tdb.context>>, id: string, urls: string[]) {
    await new LinksRepository(ctx.db).upsert({
      tenantId: ctx.tenantId,
      entity: "product",
      blingId: id,
      zydonId: `z-${id}`,
      naturalKey: `CAM-${id}`,
      data: { imageUrls: urls, imageUrlsAt: ctx.now().toISOString() },
    });
  }
  const timedOut = () =>
    new ZydonNetworkError({ status: null, method: "GET", path: "/lento.jpg", timedOut: true });

  it("sends at most 10 images of a product and says so in the ledger", async () => {
    const ctx = await tdb.context();
    const urls = Array.from({ length: 25 }, (_, i) => `https://cdn.example.com/p/${i}.jpg`);
    await linkedProduct(ctx, "601", urls);
    await syncProductImages(ctx, "601");
    expect(ctx.zydon.uploads).toEqual(urls.slice(0, MAX_IMAGES_PER_PRODUCT));
    const [row] = await ledgerRows(ctx, "image");
    expect(row?.reason).toBe(
      "10 imagens enviadas ao Zydon. O produto tem 25 imagens no Bling; só as 10 primeiras são enviadas.",
    );
  });

  it("gives a timed-out link up (pt-BR ledger row, no retry) and still sends the others", async () => {
    const ctx = await tdb.context();
    const slow = "https://lento.example.com/foto.jpg?token=segredo";
    const ok = "https://cdn.example.com/ok.jpg";
    await linkedProduct(ctx, "602", [slow, ok]);
    ctx.zydon.failImage(slow, timedOut());
    await syncProductImages(ctx, "602");
    expect(ctx.zydon.uploads).toEqual([ok]);
    const skipped = (await ledgerRows(ctx, "image")).filter((r) => r.outcome === "skipped");
    expect(skipped).toHaveLength(1);
    expect(skipped[0]?.reason).toBe(
      "Imagem ignorada: o endereço https://lento.example.com/foto.jpg não entregou a imagem dentro do tempo limite do download. Corrija o link da imagem no Bling.",
    );
    // The next change of the product with the same links: nothing fetched again.
    await syncProductImages(ctx, "602");
    expect(ctx.zydon.log.calls.filter((c) => c.method === "setProductImages")).toHaveLength(1);
  });

  it("never uploads an image twice: a re-run after a crash mid-job reuses what was uploaded", async () => {
    const ctx = await tdb.context();
    const urls = ["https://cdn.example.com/a.jpg", "https://cdn.example.com/b.jpg"];
    await linkedProduct(ctx, "603", urls);
    // The first run uploads a, then dies while uploading b (before anything else is stored).
    const real = ctx.zydon.setProductImages.bind(ctx.zydon);
    ctx.zydon.setProductImages = async (id, list, opts) => {
      await real(id, list.slice(0, 1), opts);
      throw new Error("worker died mid-upload");
    };
    // (An unknown error: recorded as a failed upload, retryable; the job itself ends.)
    await syncProductImages(ctx, "603");
    expect(ctx.zydon.uploads).toEqual(urls.slice(0, 1));
    ctx.zydon.setProductImages = real;
    await syncProductImages(ctx, "603");
    expect(ctx.zydon.uploads).toEqual(urls);
  });

  it("one image job per product: a second job while the first holds the claim is delayed, then finds it done", async () => {
    const ctx = await tdb.context();
    await linkedProduct(ctx, "604", ["https://cdn.example.com/c.jpg"]);
    const held = new Set<string>();
    ctx.claim = async (key) => {
      if (held.has(key)) return null;
      held.add(key);
      return { release: async () => void held.delete(key) };
    };
    const first = await ctx.claim("images:604", 1_000);
    await expect(syncProductImages(ctx, "604")).rejects.toBeInstanceOf(ClaimBusyError);
    expect(ctx.zydon.uploads).toEqual([]);
    await first?.release();
    await syncProductImages(ctx, "604");
    await syncProductImages(ctx, "604");
    expect(ctx.zydon.uploads).toEqual(["https://cdn.example.com/c.jpg"]);
  });
});
