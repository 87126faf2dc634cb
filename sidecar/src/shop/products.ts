import type { ShopContext } from './context';
import { phpUnserialize, toIdList } from './php';
import { decodeEntities } from './store-settings';
import type { Product } from './types';
import { gmtDate, intId, money } from './values';

export interface ProductReader {
  /** Products and variations by id, in the order asked; deleted or unknown ids are left out. */
  get(ids: number[]): Promise<Product[]>;
  newArrivals(days: number, limit: number): Promise<number[]>;
}

export function createProductReader(ctx: ShopContext): ProductReader {
  const q = ctx.q.products;
  const cache = new Map<number, { at: number; product: Product }>();
  let permalinks: { at: number; pretty: boolean; base: string } | null = null;
  const ttl = () => ctx.options.recommendations?.cacheTtlMs ?? 60_000;

  async function permalinkRule() {
    const now = ctx.clock.now().getTime();
    if (permalinks && now - permalinks.at < ttl()) return permalinks;
    const o = new Map((await ctx.rows(q.permalinkOptions)).map((r) => [String(r.option_name), String(r.option_value ?? '')]));
    const wc = phpUnserialize(o.get('woocommerce_permalinks'));
    const base = wc.ok && wc.value && typeof wc.value === 'object' ? String((wc.value as Record<string, unknown>).product_base ?? '') : '';
    permalinks = { at: now, pretty: !!o.get('permalink_structure'), base: base.replace(/^\/+|\/+$/g, '') || 'product' };
    return permalinks;
  }

  function ids(raw: string | undefined, what: string, productId: number): number[] {
    if (!raw) return [];
    const v = phpUnserialize(raw);
    if (!v.ok) {
      ctx.stats.skip('corrupt_serialized');
      ctx.log.warn({ code: 'shop_corrupt_serialized', what, productId }, 'unreadable serialized value skipped');
      return [];
    }
    return toIdList(v.value);
  }

  async function load(wanted: number[]): Promise<Map<number, Product>> {
    const out = new Map<number, Product>();
    if (!wanted.length) return out;
    const settings = await ctx.settings();
    const rule = await permalinkRule();
    const posts = await ctx.rows(q.posts, [wanted]);
    if (!posts.length) return out;
    const parentIds = [...new Set(posts.map((p) => intId(p.post_parent)).filter((id) => id && !wanted.includes(id)))];
    const parents = parentIds.length ? await ctx.rows(q.posts, [parentIds]) : [];
    const all = [...posts, ...parents];
    const allIds = all.map((p) => Number(p.ID));
    const meta = new Map<number, Map<string, string[]>>();
    for (const r of await ctx.rows(q.meta, [allIds])) {
      const m = meta.get(Number(r.post_id)) ?? new Map<string, string[]>();
      const list = m.get(String(r.meta_key)) ?? [];
      list.push(String(r.meta_value ?? ''));
      m.set(String(r.meta_key), list);
      meta.set(Number(r.post_id), m);
    }
    const cats = new Map<number, Product['categories']>();
    for (const r of await ctx.rows(q.categories, [allIds])) {
      const list = cats.get(Number(r.object_id)) ?? [];
      list.push({ id: Number(r.term_id), slug: String(r.slug), name: decodeEntities(String(r.name)) });
      cats.set(Number(r.object_id), list);
    }
    const thumbs = new Map<number, number>();
    for (const id of allIds) {
      const t = intId(meta.get(id)?.get('_thumbnail_id')?.[0]);
      if (t) thumbs.set(id, t);
    }
    const images = new Map<number, string>();
    if (thumbs.size) for (const r of await ctx.rows(q.attachments, [[...new Set(thumbs.values())]])) images.set(Number(r.ID), String(r.guid));
    const byId = new Map(all.map((p) => [Number(p.ID), p]));
    for (const p of posts) {
      const id = Number(p.ID);
      const isVariation = p.post_type === 'product_variation';
      const parentId = isVariation ? intId(p.post_parent) : 0;
      const parent = parentId ? byId.get(parentId) : undefined;
      const m = meta.get(id) ?? new Map<string, string[]>();
      const pm = parentId ? meta.get(parentId) : undefined;
      const one = (k: string) => m.get(k)?.[0];
      // Variable parents carry one _price row per distinct child price: the lowest is "from".
      const prices = (m.get('_price') ?? []).filter((s) => s !== '' && Number.isFinite(Number(s))).map(Number);
      const price = prices.length ? money(String(Math.min(...prices)), settings.decimals) : null;
      const slug = String((isVariation ? parent?.post_name : p.post_name) ?? '');
      const linkId = parentId || id;
      const permalink = rule.pretty && slug ? `${settings.url}/${rule.base}/${slug}/` : `${settings.url}/?p=${linkId}`;
      const thumb = thumbs.get(id) ?? (parentId ? thumbs.get(parentId) : undefined);
      const product: Product = {
        id,
        parentId: parentId || null,
        type: isVariation ? 'variation' : 'product',
        status: String(p.post_status),
        title: String(p.post_title ?? ''),
        permalink,
        price,
        regularPrice: one('_regular_price') ? money(one('_regular_price'), settings.decimals) : null,
        salePrice: one('_sale_price') ? money(one('_sale_price'), settings.decimals) : null,
        imageUrl: thumb ? images.get(thumb) ?? null : null,
        stockStatus: one('_stock_status') || pm?.get('_stock_status')?.[0] || 'instock',
        categories: cats.get(parentId || id) ?? [],
        crossSellIds: ids((m.get('_crosssell_ids') ?? pm?.get('_crosssell_ids'))?.[0], '_crosssell_ids', id),
        upsellIds: ids((m.get('_upsell_ids') ?? pm?.get('_upsell_ids'))?.[0], '_upsell_ids', id),
        createdAt: gmtDate(p.post_date_gmt),
      };
      out.set(id, product);
    }
    return out;
  }

  async function get(requested: number[]): Promise<Product[]> {
    const wanted = [...new Set(requested.map(intId).filter(Boolean))];
    const now = ctx.clock.now().getTime();
    const missing = wanted.filter((id) => {
      const c = cache.get(id);
      return !c || now - c.at >= ttl();
    });
    if (missing.length) {
      const loaded = await load(missing);
      for (const id of missing) {
        const p = loaded.get(id);
        if (p) cache.set(id, { at: now, product: p });
        else cache.delete(id);
      }
      if (cache.size > 20_000) for (const k of [...cache.keys()].slice(0, 5_000)) cache.delete(k);
    }
    return wanted.map((id) => cache.get(id)?.product).filter((p): p is Product => !!p);
  }

  async function newArrivals(days: number, limit: number): Promise<number[]> {
    // post_date is site-local: a day of margin either way is harmless for "new in the last N days".
    const since = new Date(ctx.clock.now().getTime() - (days + 1) * 86_400_000).toISOString().slice(0, 19).replace('T', ' ');
    return (await ctx.rows(q.newArrivals, [since, limit])).map((r) => Number(r.ID));
  }

  return { get, newArrivals };
}
