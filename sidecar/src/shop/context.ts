import type { Clock } from '../clock';
import type { Connection, Pool } from '../db/pool';
import type { Row } from '../db/sql';
import type { Logger } from '../logger';
import { cartQueries, customerQueries, productQueries } from './customer-queries';
import { factsQueries, segmentQueries } from './facts-queries';
import { lifecycleQueries } from './lifecycle-queries';
import { orderQueries } from './order-queries';
import { recommendationQueries } from './recommendation-queries';
import { readStoreSettings, type StoreSettings } from './store-settings';
import { storedStatus } from './values';
import { shopQueries } from './queries';

export interface ShopReaderOptions {
  /** Statuses counted as paid besides processing and completed (e.g. 'on-hold', 'refunded'). */
  extraPaidStatuses?: string[];
  /** Usermeta key holding a Y-m-d birthday. */
  birthdayMetaKey?: string;
  /** Settings (and storage detection) are re-read after this many ms. */
  settingsTtlMs?: number;
  /** Legacy storage: orders indexed per catch-up statement, and how many behind after a full one switch to one bulk pass. */
  legacyIndex?: { batch?: number; bulkBehind?: number };
  /** Blog id of the persistent-cart usermeta key (_woocommerce_persistent_cart_{id}). */
  blogId?: number;
  segments?: {
    /** Fixed lapse window; default: the shop's median gap between orders × lapseFactor (at least 30 days). */
    lapsedDays?: number;
    lapseFactor?: number;
    /** Loyal = at least this many paid orders and RFM quintiles (1–5) at or above these. */
    loyalMinPaidOrders?: number;
    loyalMinRecency?: number;
    loyalMinFrequency?: number;
    loyalMinMonetary?: number;
    /** Cart abandoners: a cart and no order within this many hours. */
    cartWindowHours?: number;
  };
  recommendations?: {
    /** Products (or their categories, by slug) that may be recommended again after purchase. */
    replenishableProductIds?: number[];
    replenishableCategories?: string[];
    bestSellerDays?: number;
    newArrivalDays?: number;
    minPairOrders?: number;
    cacheTtlMs?: number;
    /** Orders younger than this are not mined yet (their status may still change). */
    settleHours?: number;
  };
}

export class ReaderStats {
  readonly skipped: Record<string, number> = {};
  private readonly logged = new Set<string>();

  constructor(private readonly log?: Logger) {}

  /** Counts bad shop data passed over; the first of each kind is logged (its kind only: no shop data). */
  skip(reason: string, n = 1): void {
    this.skipped[reason] = (this.skipped[reason] ?? 0) + n;
    if (this.logged.has(reason)) return;
    this.logged.add(reason);
    this.log?.warn({ code: 'shop_bad_data', reason }, 'skipped bad shop data; GET /v1/admin/status counts every kind');
  }
}

/** Wraps a job so that calls while it runs share that run instead of starting another. */
export function oneAtATime<T>(run: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | null = null;
  return () => {
    running ??= run().finally(() => {
      running = null;
    });
    return running;
  };
}

export type Queries = ReturnType<typeof buildQueries>;

export function buildQueries(prefix: string) {
  return {
    orders: orderQueries(prefix),
    customers: customerQueries(prefix),
    products: productQueries(prefix),
    carts: cartQueries(prefix),
    facts: factsQueries(prefix),
    segments: segmentQueries(prefix),
    recs: recommendationQueries(prefix),
    lifecycle: lifecycleQueries(prefix),
    // Read by store-settings.ts; listed here so reader.verify() prepares it at boot too.
    settings: shopQueries(prefix),
  };
}

export const NOT_REAL_ORDER_STATUSES = ['trash', 'auto-draft', 'draft', 'wc-checkout-draft'];

export class ShopContext {
  readonly q: Queries;
  readonly stats: ReaderStats;
  private cached: { at: number; settings: StoreSettings; hpos: boolean } | null = null;

  constructor(
    readonly pool: Pool,
    readonly prefix: string,
    readonly clock: Clock,
    readonly log: Logger,
    readonly options: ShopReaderOptions,
  ) {
    this.q = buildQueries(prefix);
    this.stats = new ReaderStats(log);
  }

  get paidStatuses(): string[] {
    return [...new Set(['processing', 'completed', ...(this.options.extraPaidStatuses ?? [])].map(storedStatus))];
  }

  get birthdayKey(): string {
    return this.options.birthdayMetaKey ?? 'retain_birthday';
  }

  /**
   * Holds the shop-wide lock of one job (its scratch tables are shared) on `conn`, waiting for another
   * process that holds it; returns the release, which never throws.
   */
  async holdJobLock(conn: Connection, job: string, what: string): Promise<() => Promise<void>> {
    const name = `${this.prefix}${job}`;
    const [[got]] = (await conn.query(this.q.settings.jobLock, [name])) as unknown as [[{ got: number | null }]];
    if (Number(got?.got) !== 1) throw new Error(`another ${what} holds the lock`);
    return () => conn.query(this.q.settings.jobUnlock, [name]).then(() => undefined, () => undefined);
  }

  /** A cursor or small computed value of the reader's own (retain_shop_state). */
  async state(name: string): Promise<string | undefined> {
    const [row] = await this.rows(this.q.facts.stateGet, [name]);
    return row ? String(row.value) : undefined;
  }

  async setState(name: string, value: string): Promise<void> {
    await this.pool.query(this.q.facts.stateSet, [name, value]);
  }

  async rows(sql: string, params: unknown[] = []): Promise<Row[]> {
    const [rows] = await this.pool.query<Row[]>(sql, params);
    return rows;
  }

  async settings(): Promise<StoreSettings> {
    return (await this.load()).settings;
  }

  /** HPOS only when the option says so and the tables exist (they are missing on shops that never enabled it). */
  async hpos(): Promise<boolean> {
    return (await this.load()).hpos;
  }

  private async load() {
    const ttl = this.options.settingsTtlMs ?? 60_000;
    const now = this.clock.now().getTime();
    if (this.cached && now - this.cached.at < ttl) return this.cached;
    const settings = await readStoreSettings(this.pool, this.prefix);
    let hpos = settings.hpos;
    if (hpos) {
      const tables = ['wc_orders', 'wc_order_addresses', 'wc_order_operational_data'].map((t) => `${this.prefix}${t}`);
      const [row] = await this.rows(this.q.orders.hposTablesPresent, [tables]);
      if (Number(row?.n) !== tables.length) {
        this.log.warn({ code: 'shop_hpos_tables_missing' }, 'HPOS is enabled but its tables are missing; reading legacy order storage');
        hpos = false;
      }
    }
    this.cached = { at: now, settings, hpos };
    return this.cached;
  }
}
