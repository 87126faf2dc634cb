import type { ShopContext } from './context';
import { NOT_REAL_ORDER_STATUSES } from './context';
import type { CustomerReader } from './customers';
import type { OrderReader } from './orders';
import { releaseWithDefaults, settled, type Connection } from '../db/pool';
import type { Row } from '../db/sql';
import { alterNextKeys } from './facts-queries';
import type { ContactRef, CustomerFacts } from './types';
import { birthdayValue, formatUnits, gmtDate, intId, money, normaliseEmail, sqlUtc, toUnits } from './values';

const BATCH = 2000;

export interface FactsReader {
  /** Live, from the orders of one contact (e-mail and/or account); used at send time. */
  forContact(contact: ContactRef): Promise<CustomerFacts | null>;
  /** Rebuilds retain_shop_customer_facts for the whole shop, set-based in SQL. */
  backfill(): Promise<{ contacts: number; ms: number }>;
  /** Recomputes only contacts whose orders or accounts changed since the last backfill/refresh. */
  refresh(): Promise<{ contacts: number; ms: number }>;
  /** Whole-shop totals over the facts table. */
  summary(): Promise<{ contacts: number; registered: number; guests: number; birthdays: number; orders: number; paidOrders: number; gross: string; refunded: string; net: string }>;
  /** The stored row (as of the last backfill/refresh). */
  stored(email: string): Promise<CustomerFacts | null>;
}

export function createFactsReader(ctx: ShopContext, orders: OrderReader, customers: CustomerReader): FactsReader {
  const q = ctx.q.facts;

  async function forContact(contact: ContactRef): Promise<CustomerFacts | null> {
    let email = normaliseEmail(contact.email);
    let customerId = intId(contact.customerId);
    const customer = email ? await customers.get(email) : customerId ? await customers.byId(customerId) : null;
    if (customer?.customerId) customerId = customer.customerId;
    email ??= customer?.email ?? null;
    if (!email && !customerId) return null;
    const hpos = await ctx.hpos();
    if (!hpos) await orders.syncIndex();
    const settings = await ctx.settings();
    const paid = new Set(ctx.paidStatuses);
    const rows = await ctx.rows(hpos ? ctx.q.orders.hposPaidOrdersForContact : ctx.q.orders.legacyPaidOrdersForContact, [email ?? '', customerId]);
    const real = rows.filter((r) => !NOT_REAL_ORDER_STATUSES.includes(String(r.status)));
    const paidRows = real.filter((r) => paid.has(String(r.status)));
    const refunds = new Map<number, bigint>();
    if (paidRows.length) {
      const ids = paidRows.map((r) => Number(r.id));
      for (const r of await ctx.rows(hpos ? ctx.q.orders.hposRefunds : ctx.q.orders.legacyRefunds, [ids])) refunds.set(Number(r.order_id), toUnits(r.refunded));
    }
    let gross = 0n;
    let refunded = 0n;
    const dates: number[] = [];
    for (const r of paidRows) {
      gross += toUnits(r.total);
      refunded += refunds.get(Number(r.id)) ?? 0n;
      const d = gmtDate(r.created);
      if (d) dates.push(d.getTime());
      else ctx.stats.skip('order_zero_date');
    }
    dates.sort((a, b) => a - b);
    const net = gross - refunded;
    const n = paidRows.length;
    if (!customer && !real.length) return null;
    return {
      email: email ?? customer?.email ?? '',
      customerId: customerId || null,
      firstPaidAt: dates.length ? new Date(dates[0]!) : null,
      lastPaidAt: dates.length ? new Date(dates[dates.length - 1]!) : null,
      paidOrders: n,
      orders: real.length,
      gross: formatUnits(gross, settings.decimals),
      refunded: formatUnits(refunded, settings.decimals),
      totalSpent: formatUnits(net, settings.decimals),
      aov: n ? formatUnits(net / BigInt(n), settings.decimals) : null,
      // Mean gap between consecutive paid orders = span / (n - 1): the same figure the facts table stores.
      typicalGapDays: dates.length > 1 ? round2((dates[dates.length - 1]! - dates[0]!) / 86_400_000 / (dates.length - 1)) : null,
      signupAt: customer?.signupAt ?? null,
      birthday: customer?.birthday ?? null,
    };
  }

  async function backfill(): Promise<{ contacts: number; ms: number }> {
    const started = Date.now();
    const hpos = await ctx.hpos();
    // Cursor first, so changes made while the backfill runs are picked up by the next refresh.
    const asOf = sqlUtc(new Date(ctx.clock.now().getTime() - 1000));
    const stamp = sqlUtc(new Date(Math.floor(Date.now() / 1000) * 1000));
    const conn = await ctx.pool.getConnection();
    let side: Connection | null = null;
    let release: (() => Promise<void>) | null = null;
    let built = false;
    const clearScratch = [q.clearAccounts, q.clearUsers, q.clearGuests, q.clearRefunds];
    try {
      // The scratch tables are shared: one backfill at a time per shop.
      release = await ctx.holdJobLock(conn, 'retain_shop_facts_backfill', 'facts backfill');
      const other = await ctx.pool.getConnection();
      side = other;
      // Each step's time goes to the debug log: on a big shop it says which scan to look at.
      const steps: Record<string, number> = {};
      const step = async (on: Connection, name: string, sql: string, params: unknown[] = []) => {
        const t = Date.now();
        const [res] = await on.query(sql, params);
        steps[name] = Date.now() - t;
        return res;
      };
      for (const c of [conn, side]) await c.query(q.backfillSession);
      for (const sql of [...clearScratch, q.dropNext, q.createNext]) await conn.query(sql);
      const keys = secondaryKeys((await step(conn, 'keys', q.nextKeys, [ctx.prefix])) as Row[]);
      if (keys.length) await step(conn, 'drop_keys', alterNextKeys(ctx.prefix, keys.map((k) => `DROP KEY \`${k.name}\``)));
      const paid = ctx.paidStatuses;
      const aggregates = [paid, paid, paid, paid, NOT_REAL_ORDER_STATUSES];
      const capabilities = `${ctx.prefix}capabilities`;
      // Writing the next generation is most of the work (about 15 µs a row), so each connection
      // writes one half of the e-mails: disjoint parts of the primary key, no waiting on each other.
      const halves = await emailHalves(conn, q);
      const half = (h: Half) => [h[0], h[1], h[1]];
      const inHalves = (name: string, sql: string, params: (h: Half) => unknown[]) =>
        settled(halves.map((h, i) => step(i ? other : conn, `${name}_${i ? 'hi' : 'lo'}`, sql, params(h))));
      // Two statements at a time, one per core: the account rows wait for both the accounts' orders
      // and their usermeta; meanwhile the side connection stages the guests. The legacy scans read the
      // order index alone, so it is brought up to date first, beside the usermeta.
      const indexed = hpos ? Promise.resolve() : (async () => {
        const t = Date.now();
        await orders.refreshIndex();
        steps.order_index = Date.now() - t;
      })();
      const users = step(other, 'users', q.stageUsers, [capabilities, ctx.birthdayKey, [capabilities, ctx.birthdayKey]]);
      const accounts = indexed.then(() => step(conn, 'accounts', hpos ? q.hposStageAccounts : q.legacyStageAccounts, aggregates));
      const staged = Promise.all([accounts, users]);
      let orphans = 0;
      await settled([
        (async () => {
          await staged;
          await step(conn, 'account_rows_lo', q.nextFromAccounts, [stamp, ...half(halves[0]!)]);
          await step(conn, 'refunds', hpos ? q.hposStageRefunds : q.legacyStageRefunds, [paid]);
          const [row] = (await step(conn, 'orphan_count', q.orphanCount)) as unknown as [{ n: number | string }];
          orphans = Number(row?.n ?? 0);
        })(),
        (async () => {
          await Promise.all([users, indexed]);
          await step(other, 'guests', hpos ? q.hposStageGuests : q.legacyStageGuests, aggregates);
          await staged;
          if (halves[1]) await step(other, 'account_rows_hi', q.nextFromAccounts, [stamp, ...half(halves[1])]);
        })(),
      ]);
      if (orphans) await step(conn, 'orphans', hpos ? q.hposStageOrphans : q.legacyStageOrphans, aggregates);
      await inHalves('guest_rows', q.nextFromGuests, (h) => [stamp, ...half(h)]);
      await inHalves('refund_rows', q.nextRefunds, half);
      if (keys.length) await step(conn, 'add_keys', alterNextKeys(ctx.prefix, keys.map((k) => k.add)));
      await step(conn, 'swap', q.swapFacts);
      built = true;
      ctx.log.debug({ steps_ms: steps }, 'customer facts backfill steps');
      // The scratch rows are not needed until the next backfill.
      for (const sql of clearScratch) await conn.query(sql);
    } finally {
      // A failed run leaves the next generation as migrations expect it: an empty copy of the live table.
      // Without the lock it is another backfill's, still being written.
      if (release && !built) for (const sql of [q.dropNext, q.createNext]) await conn.query(sql).catch(() => undefined);
      await release?.();
      // Back to the pool with the server's defaults: a 64 MB sort buffer is for this job only.
      for (const c of [conn, side]) if (c) await releaseWithDefaults(c, q.backfillSessionReset);
    }
    await ctx.setState('facts_cursor', asOf);
    const [c] = await ctx.rows(q.count);
    return { contacts: Number(c?.n ?? 0), ms: Date.now() - started };
  }

  async function refresh(): Promise<{ contacts: number; ms: number }> {
    const started = Date.now();
    const since = await ctx.state('facts_cursor');
    if (since === undefined) return backfill();
    const hpos = await ctx.hpos();
    // Keeps each pass over modified orders short, and the index's e-mails current for the contacts below.
    if (!hpos) await orders.refreshIndex();
    const asOf = sqlUtc(new Date(ctx.clock.now().getTime() - 1000));
    const emails = new Set<string>();
    for (const r of await ctx.rows(hpos ? q.hposChangedContacts : q.legacyChangedContacts, [since])) if (r.email) emails.add(String(r.email));
    for (const r of await ctx.rows(q.newUsers, [since])) if (r.email) emails.add(String(r.email));
    const list = [...emails];
    for (let i = 0; i < list.length; i += BATCH) {
      const batch = list.slice(i, i + BATCH);
      const stamp = sqlUtc(new Date(Math.floor(Date.now() / 1000) * 1000));
      await ctx.pool.query(hpos ? q.hposForEmails : q.legacyForEmails, [stamp, ctx.paidStatuses, batch, batch, NOT_REAL_ORDER_STATUSES]);
      await ctx.pool.query(q.registeredForEmails, [stamp, `${ctx.prefix}capabilities`, batch]);
      // The batch's rows by primary key: refreshed_at has no index (a key costs every backfill).
      await ctx.pool.query(q.signupAndGap, [batch]);
      await ctx.pool.query(q.birthdays, [ctx.birthdayKey, batch]);
    }
    await ctx.setState('facts_cursor', asOf);
    return { contacts: list.length, ms: Date.now() - started };
  }

  async function stored(rawEmail: string): Promise<CustomerFacts | null> {
    const email = normaliseEmail(rawEmail);
    if (!email) return null;
    const [r] = await ctx.rows(q.byEmail, [email]);
    if (!r) return null;
    const decimals = (await ctx.settings()).decimals;
    const n = Number(r.paid_orders);
    const net = toUnits(r.net);
    const birthday = birthdayValue(r.birthday);
    if (r.birthday && !birthday) ctx.stats.skip('invalid_birthday');
    return {
      email, customerId: intId(r.customer_id) || null, firstPaidAt: gmtDate(r.first_paid_at), lastPaidAt: gmtDate(r.last_paid_at),
      paidOrders: n, orders: Number(r.orders), gross: money(r.gross, decimals), refunded: money(r.refunded, decimals), totalSpent: money(r.net, decimals),
      aov: n ? formatUnits(net / BigInt(n), decimals) : null, typicalGapDays: r.typical_gap_days === null ? null : round2(Number(r.typical_gap_days)),
      signupAt: gmtDate(r.signup_at), birthday,
    };
  }

  async function summary() {
    const [r] = await ctx.rows(q.summary);
    const d = (await ctx.settings()).decimals;
    return {
      contacts: Number(r?.contacts ?? 0), registered: Number(r?.registered ?? 0), guests: Number(r?.guests ?? 0), birthdays: Number(r?.birthdays ?? 0),
      orders: Number(r?.orders ?? 0), paidOrders: Number(r?.paid_orders ?? 0), gross: money(r?.gross ?? 0, d), refunded: money(r?.refunded ?? 0, d), net: money(r?.net ?? 0, d),
    };
  }

  return { forContact, backfill, refresh, stored, summary };
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** A range of normalised e-mails: from (inclusive) to (exclusive; null = to the end). */
type Half = [string, string | null];

/** The contacts split at the median account e-mail, or one range when there are too few accounts. */
async function emailHalves(conn: Connection, q: ShopContext['q']['facts']): Promise<Half[]> {
  const [[count]] = (await conn.query(q.accountCount)) as unknown as [[{ n: number | string } | undefined]];
  const n = Number(count?.n ?? 0);
  if (n < 2) return [['', null]];
  const [[median]] = (await conn.query(q.medianEmail, [Math.floor(n / 2)])) as unknown as [[{ email: string } | undefined]];
  return median?.email ? [['', median.email], [median.email, null]] : [['', null]];
}

/** information_schema.STATISTICS rows (one per key column, in order) as DROP-able names and ADD clauses. */
function secondaryKeys(rows: Row[]): Array<{ name: string; add: string }> {
  const keys = new Map<string, { unique: boolean; columns: string[] }>();
  for (const r of rows) {
    const name = String(r.name);
    const key = keys.get(name) ?? { unique: Number(r.non_unique) === 0, columns: [] };
    key.columns.push(`\`${String(r.col)}\`${r.sub_part === null || r.sub_part === undefined ? '' : `(${Number(r.sub_part)})`}`);
    keys.set(name, key);
  }
  return [...keys].map(([name, k]) => ({ name, add: `ADD ${k.unique ? 'UNIQUE ' : ''}KEY \`${name}\` (${k.columns.join(', ')})` }));
}
