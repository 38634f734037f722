import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import type { DbOrTx } from "../client.js";
import { entityLinks, type LinkEntity } from "../schema/index.js";

export type EntityLink = typeof entityLinks.$inferSelect;

/** A field that is missing or of an unexpected type reads as absent: link data never fails a sync. */
const lenient = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);
const idText = z.union([z.string(), z.number()]).transform(String);

const priceHoldState = z.object({
  held: z.number().optional().catch(undefined),
  approved: z.number().optional().catch(undefined),
  discarded: z.number().optional().catch(undefined),
});

/**
 * The fields the sync keeps in `entity_links.data` (written by the product, stock, image and payment-method
 * steps). Unknown keys are kept.
 */
export const linkDataSchema = z.looseObject({
  /** Product links: "simple" | "kit" | "parent" | "variation"; only simple and variation carry stock. */
  kind: lenient(z.string()),
  /** Variation links: the Zydon product and variation ids (the link's own zydonId is the variation's). */
  productZydonId: lenient(idText),
  variationZydonId: lenient(idText),
  parentBlingId: lenient(idText),
  /** The product was switched to inactive in Bling (drift audit: not "gone"). */
  inactive: lenient(z.boolean()),
  /** Last stock quantity written to Zydon. */
  stockQty: lenient(z.number()),
  /** Last store (multiloja) price written to the app's Zydon price table (the price breaker compares to it). */
  storePrice: lenient(z.number()),
  /**
   * The price-jump guard's state per price source (packages/sync pipelines/price-hold.ts): the new price held
   * for the merchant, one they applied (passes once) or discarded (kept out while Bling keeps it).
   */
  priceHold: lenient(
    z.object({
      base: priceHoldState.optional().catch(undefined),
      store: priceHoldState.optional().catch(undefined),
    }),
  ),
  imagesHash: lenient(z.string()),
  imageUrls: lenient(
    z.array(z.unknown()).transform((a) => a.filter((u): u is string => typeof u === "string")),
  ),
  imageUrlsAt: lenient(z.string()),
});
export type LinkData = z.output<typeof linkDataSchema>;

/** The typed view of a link's `data` (an empty object when there is none). */
export function linkData(link: Pick<EntityLink, "data">): LinkData {
  return linkDataSchema.parse(link.data ?? {});
}

export interface LinkInput {
  tenantId: string;
  entity: LinkEntity;
  blingId: string | null;
  zydonId: string | null;
  naturalKey?: string | null;
  contentHash?: string | null;
  data?: Record<string, unknown> | null;
}

/** tenant × entity × Bling id ↔ Zydon id. Both sides are unique in the database. */
export class LinksRepository {
  constructor(private readonly db: DbOrTx) {}

  async byBlingId(tenantId: string, entity: LinkEntity, blingId: string): Promise<EntityLink | undefined> {
    const [row] = await this.db
      .select()
      .from(entityLinks)
      .where(
        and(
          eq(entityLinks.tenantId, tenantId),
          eq(entityLinks.entity, entity),
          eq(entityLinks.blingId, blingId),
        ),
      );
    return row;
  }

  async byBlingIds(tenantId: string, entity: LinkEntity, blingIds: string[]): Promise<EntityLink[]> {
    if (blingIds.length === 0) return [];
    return this.db
      .select()
      .from(entityLinks)
      .where(
        and(
          eq(entityLinks.tenantId, tenantId),
          eq(entityLinks.entity, entity),
          inArray(entityLinks.blingId, blingIds),
        ),
      );
  }

  /** These rows as they are now (any entity), e.g. re-read under a lease. */
  async byIds(tenantId: string, ids: number[]): Promise<EntityLink[]> {
    if (ids.length === 0) return [];
    return this.db
      .select()
      .from(entityLinks)
      .where(and(eq(entityLinks.tenantId, tenantId), inArray(entityLinks.id, ids)));
  }

  async byZydonId(tenantId: string, entity: LinkEntity, zydonId: string): Promise<EntityLink | undefined> {
    const [row] = await this.db
      .select()
      .from(entityLinks)
      .where(
        and(
          eq(entityLinks.tenantId, tenantId),
          eq(entityLinks.entity, entity),
          eq(entityLinks.zydonId, zydonId),
        ),
      );
    return row;
  }

  async byNaturalKey(
    tenantId: string,
    entity: LinkEntity,
    naturalKey: string,
  ): Promise<EntityLink | undefined> {
    const [row] = await this.db
      .select()
      .from(entityLinks)
      .where(
        and(
          eq(entityLinks.tenantId, tenantId),
          eq(entityLinks.entity, entity),
          eq(entityLinks.naturalKey, naturalKey),
        ),
      );
    return row;
  }

  /** Insert or update the link keyed by the Bling id (or the Zydon id when there is no Bling id yet). */
  async upsert(input: LinkInput): Promise<EntityLink> {
    const values = {
      tenantId: input.tenantId,
      entity: input.entity,
      blingId: input.blingId,
      zydonId: input.zydonId,
      naturalKey: input.naturalKey ?? null,
      contentHash: input.contentHash ?? null,
      data: input.data ?? null,
      updatedAt: new Date(),
    };
    const target = input.blingId
      ? [entityLinks.tenantId, entityLinks.entity, entityLinks.blingId]
      : [entityLinks.tenantId, entityLinks.entity, entityLinks.zydonId];
    const set: Partial<typeof values> = { updatedAt: values.updatedAt };
    if (input.zydonId !== null) set.zydonId = input.zydonId;
    if (input.blingId !== null) set.blingId = input.blingId;
    if (input.naturalKey !== undefined) set.naturalKey = values.naturalKey;
    if (input.contentHash !== undefined) set.contentHash = values.contentHash;
    if (input.data !== undefined) set.data = values.data;
    const [row] = await this.db
      .insert(entityLinks)
      .values(values)
      .onConflictDoUpdate({ target, set })
      .returning();
    return row as EntityLink;
  }

  /** Forget one link (its Zydon record is gone): the next sync finds or creates the record again. */
  async deleteByBlingId(tenantId: string, entity: LinkEntity, blingId: string): Promise<void> {
    await this.db
      .delete(entityLinks)
      .where(
        and(
          eq(entityLinks.tenantId, tenantId),
          eq(entityLinks.entity, entity),
          eq(entityLinks.blingId, blingId),
        ),
      );
  }

  async setContentHash(id: number, contentHash: string): Promise<void> {
    await this.db
      .update(entityLinks)
      .set({ contentHash, updatedAt: new Date() })
      .where(eq(entityLinks.id, id));
  }

  /** A parent product's variation links (by `data.parentBlingId`; one tenant's variations scanned, a click's cost). */
  async variationsOf(tenantId: string, parentBlingId: string): Promise<EntityLink[]> {
    return this.db
      .select()
      .from(entityLinks)
      .where(
        and(
          eq(entityLinks.tenantId, tenantId),
          eq(entityLinks.entity, "variation"),
          sql`${entityLinks.data}->>'parentBlingId' = ${parentBlingId}`,
        ),
      );
  }

  async listByEntity(tenantId: string, entity: LinkEntity): Promise<EntityLink[]> {
    return this.db
      .select()
      .from(entityLinks)
      .where(and(eq(entityLinks.tenantId, tenantId), eq(entityLinks.entity, entity)));
  }

  /**
   * One page of the records that carry stock and price of their own (simple products, kits and variations;
   * not parents of variations), in id order, so pages are stable while the catalog is not changing.
   */
  async pageSellable(tenantId: string, page: number, pageSize: number): Promise<EntityLink[]> {
    return this.db
      .select()
      .from(entityLinks)
      .where(
        and(
          eq(entityLinks.tenantId, tenantId),
          inArray(entityLinks.entity, ["product", "variation"]),
          sql`coalesce(${entityLinks.data}->>'kind', '') in ('simple', 'variation')`,
        ),
      )
      .orderBy(asc(entityLinks.id))
      .limit(pageSize)
      .offset(Math.max(0, page - 1) * pageSize);
  }

  async countSellable(tenantId: string): Promise<number> {
    const [row] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(entityLinks)
      .where(
        and(
          eq(entityLinks.tenantId, tenantId),
          inArray(entityLinks.entity, ["product", "variation"]),
          sql`coalesce(${entityLinks.data}->>'kind', '') in ('simple', 'variation')`,
        ),
      );
    return row?.n ?? 0;
  }

  async mergeData(id: number, patch: Record<string, unknown>): Promise<void> {
    await this.db
      .update(entityLinks)
      .set({
        data: sql`coalesce(${entityLinks.data}, '{}'::jsonb) || ${JSON.stringify(patch)}::jsonb`,
        updatedAt: new Date(),
      })
      .where(eq(entityLinks.id, id));
  }

  /**
   * Merge `patch` into the object at `data[key]`, one level down, in one statement (jsonb || alone is shallow:
   * a read-merge-write could drop a sibling another job wrote meanwhile). A null value clears that entry.
   */
  async mergeDataIn(id: number, key: string, patch: Record<string, unknown>): Promise<void> {
    const inner = sql`coalesce(${entityLinks.data} -> ${key}::text, '{}'::jsonb) || ${JSON.stringify(patch)}::jsonb`;
    await this.db
      .update(entityLinks)
      .set({
        data: sql`coalesce(${entityLinks.data}, '{}'::jsonb) || jsonb_build_object(${key}::text, ${inner})`,
        updatedAt: new Date(),
      })
      .where(eq(entityLinks.id, id));
  }
}
