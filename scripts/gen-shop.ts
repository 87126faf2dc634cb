import { parseArgs } from 'node:util';
import { generateShop, ShopExistsError, type Storage } from '../sidecar/src/shop/generator/generate';

// npm run gen:shop -- --db mysql://user:pass@127.0.0.1:3306/shop [--prefix wp_] [--storage hpos|legacy]
//   [--customers N] [--orders N] [--products N] [--seed N] [--currency USD] [--timezone Europe/Berlin]
//   [--anchor 2026-11-22] [--force]

const usage = `usage: npm run gen:shop -- --db <mysql url> [--prefix wp_] [--storage hpos|legacy] [--customers 200] [--orders 600]
       [--products 30] [--seed 1] [--currency USD] [--timezone UTC] [--anchor 2026-11-22] [--force]`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      db: { type: 'string' }, prefix: { type: 'string' }, storage: { type: 'string' }, customers: { type: 'string' },
      orders: { type: 'string' }, products: { type: 'string' }, seed: { type: 'string' }, currency: { type: 'string' },
      timezone: { type: 'string' }, anchor: { type: 'string' }, force: { type: 'boolean' }, help: { type: 'boolean' }, quiet: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const url = values.db ?? process.env.RETAIN_SHOP_DB_URL;
  if (!url) {
    console.error(`--db is required\n${usage}`);
    return 2;
  }
  const int = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer`);
    return n;
  };
  if (values.storage && values.storage !== 'hpos' && values.storage !== 'legacy') {
    console.error('--storage must be hpos or legacy');
    return 2;
  }
  let last = 0;
  let phase = '';
  const t0 = Date.now();
  const result = await generateShop({
    url,
    prefix: values.prefix,
    storage: values.storage as Storage | undefined,
    customers: int('customers', values.customers),
    orders: int('orders', values.orders),
    products: int('products', values.products),
    seed: int('seed', values.seed),
    currency: values.currency,
    timezone: values.timezone,
    anchor: values.anchor,
    replace: values.force === true,
    onProgress: values.quiet
      ? undefined
      : (p) => {
          if (p.phase === phase && Date.now() - last < 2000) return;
          last = Date.now();
          phase = p.phase;
          console.error(`[gen:shop] +${((Date.now() - t0) / 1000).toFixed(1)}s ${p.phase} ${p.done}/${p.total}`);
        },
  });
  console.log(JSON.stringify(result));
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ShopExistsError) console.error(err.message);
    else console.error(err);
    process.exit(1);
  },
);
