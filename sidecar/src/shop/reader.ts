import type { Clock } from '../clock';
import type { Pool } from '../db/pool';
import { verifyQueries } from '../db/sql';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import { createCartReader, type CartReader } from './carts';
import { ShopContext, type ShopReaderOptions } from './context';
import { createCustomerReader, type CustomerReader } from './customers';
import { createFactsReader, type FactsReader } from './facts';
import { createLifecycleReader, type LifecycleReader } from './lifecycle';
import { createOrderReader, type OrderReader } from './orders';
import { createProductReader, type ProductReader } from './products';
import { createRecommendationReader, type RecommendationReader } from './recommendations';
import { createSegmentReader, type SegmentReader } from './segments';
import type { StoreSettings } from './store-settings';

export type { ShopReaderOptions } from './context';

export interface ShopReader {
  settings(): Promise<StoreSettings>;
  /** 'hpos' or 'legacy', as detected from the option and the tables. */
  storage(): Promise<'hpos' | 'legacy'>;
  orders: OrderReader;
  customers: CustomerReader;
  products: ProductReader;
  carts: CartReader;
  facts: FactsReader;
  segments: SegmentReader;
  recommendations: RecommendationReader;
  /** What the date-based lifecycle flows read: first-order anniversaries, repeat purchases. */
  lifecycle: LifecycleReader;
  /** Counted skips of bad shop data (corrupt serialized values, zero dates, orders without e-mail…). */
  stats(): Record<string, number>;
  /** Prepares every statement against the server (boot check). Needs the retain_shop_* migrations. */
  verify(): Promise<void>;
  /**
   * What the first reads would otherwise wait for, started at boot: in legacy storage, the order index
   * the send-time gates read (minutes from empty on a big shop). Returns the orders indexed.
   */
  warmUp(): Promise<number>;
}

/**
 * The shop reader: read-only over WooCommerce's tables, both order storages. `pool` should be a
 * createShopPool() pool (date strings, exact decimals). Derived retain_shop_* tables are written
 * through the same pool and live in the same database.
 */
export function createShopReader(deps: { pool: Pool; prefix: string; clock: Clock; log: Logger; options?: ShopReaderOptions }): ShopReader {
  const ctx = new ShopContext(deps.pool, deps.prefix, deps.clock, deps.log.child({ module: 'shop' }), deps.options ?? {});
  const orders = createOrderReader(ctx);
  const customers = createCustomerReader(ctx, orders);
  const products = createProductReader(ctx);
  const carts = createCartReader(ctx);
  const facts = createFactsReader(ctx, orders, customers);
  const segments = createSegmentReader(ctx, orders, carts);
  const recommendations = createRecommendationReader(ctx, orders, products);
  return {
    settings: () => ctx.settings(),
    storage: async () => ((await ctx.hpos()) ? 'hpos' : 'legacy'),
    orders,
    customers,
    products,
    carts,
    facts,
    segments,
    recommendations,
    lifecycle: createLifecycleReader(ctx, orders),
    stats: () => ({ ...ctx.stats.skipped }),
    warmUp: async () => ((await ctx.hpos()) ? 0 : orders.syncIndex()),
    async verify() {
      const sets = Object.fromEntries(Object.entries(ctx.q)) as unknown as Parameters<typeof verifyQueries>[1];
      await verifyQueries(deps.pool, sets);
      // In READ COMMITTED, InnoDB refuses to write under statement-based binary logging: every
      // derived table would fail on its first write, so say so at boot.
      const [binlog] = await ctx.rows(ctx.q.settings.binlog);
      if (Number(binlog?.logging) === 1 && String(binlog?.format).toUpperCase() === 'STATEMENT') {
        throw new AppError('shop_binlog_statement', "the shop database logs statements (binlog_format=STATEMENT); Retain needs binlog_format ROW or MIXED for its derived tables", 500);
      }
    },
  };
}
