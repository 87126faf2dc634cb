import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { benchSpine, formatTable, parseList, writeJson, type SpineRow } from './spine';

// `npm run bench`: the spine benchmark (MariaDB's limits, intake, sending) and, when
// bench/shop.ts exists, the shop-reader benchmark on a modest generated shop; one table.
//
//   npm run bench -- [--reps 3] [--seconds 4] [--clients 8,16,32,64] [--concurrency 16,32,64]
//                    [--shop-customers 5000] [--shop-orders 25000] [--shop-storage hpos|legacy]
//                    [--skip-shop] [--skip-spine] [--skip-render] [--skip-webhooks] [--skip-reports]
//                    [--only mariadb,batched,single,sends]
// Environment: BENCH_SHOP_CUSTOMERS, BENCH_SHOP_ORDERS, BENCH_SHOP_STORAGE, BENCH_CPU_PROF_DIR.

const ROOT = path.resolve(__dirname, '..');

interface ShopRow { name: string; value: number; unit: string; target?: string }

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      reps: { type: 'string' }, seconds: { type: 'string' }, clients: { type: 'string' }, concurrency: { type: 'string' },
      'drain-jobs': { type: 'string' }, 'lateness-rate': { type: 'string' }, 'lateness-seconds': { type: 'string' }, 'poll-seconds': { type: 'string' },
      only: { type: 'string' }, 'shop-customers': { type: 'string' }, 'shop-orders': { type: 'string' }, 'shop-storage': { type: 'string' },
      'skip-shop': { type: 'boolean' }, 'skip-spine': { type: 'boolean' }, 'skip-render': { type: 'boolean' }, 'skip-webhooks': { type: 'boolean' }, 'skip-reports': { type: 'boolean' },
    },
  });
  const num = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));
  const say = (s: string) => process.stderr.write(`${s}\n`);

  if (!process.env.RETAIN_TEST_DB_ADMIN_URL) {
    process.env.RETAIN_TEST_DB_ADMIN_URL = execFileSync('bash', [path.join(ROOT, 'scripts', 'mariadb.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  }
  const load = loadavg()[0]!;
  if (load > 1.5) say(`warning: 1-minute load average is ${load.toFixed(2)} on this ${require('node:os').cpus().length}-core machine before the bench starts; other work will lower the figures`);

  const rows: Array<SpineRow> = [];
  const out: Record<string, unknown> = { at: new Date().toISOString(), loadavgBefore: loadavg() };

  if (!values['skip-spine']) {
    say('== spine');
    try {
      const spine = await benchSpine({
        reps: num(values.reps), seconds: num(values.seconds), clients: parseList(values.clients), concurrency: parseList(values.concurrency),
        drainJobs: num(values['drain-jobs']), latenessRate: num(values['lateness-rate']), latenessSeconds: num(values['lateness-seconds']),
        pollSeconds: values['poll-seconds'], only: values.only?.split(','), log: say,
      });
      rows.push(...spine.rows);
      out.spine = spine;
      writeJson(path.join(ROOT, '.retain', 'bench', 'spine.json'), { at: out.at, rows: spine.rows, details: spine.details });
    } catch (err) {
      const message = (err as Error).message.split('\n').slice(0, 2).join(' ').slice(0, 160);
      say(`== spine: failed: ${(err as Error).stack ?? message}`);
      rows.push({ metric: 'spine', value: NaN, unit: '', pass: false, note: `failed: ${message}` });
      out.spine = { error: message };
    }
  }

  if (!values['skip-shop']) {
    const shopFile = path.join(__dirname, 'shop.ts');
    if (!existsSync(shopFile)) {
      say('== shop: skipped (bench/shop.ts is not there)');
      rows.push({ metric: 'shop reader', value: NaN, unit: '', note: 'skipped: bench/shop.ts missing' });
    } else {
      say('== shop');
      const customers = num(values['shop-customers']) ?? num(process.env.BENCH_SHOP_CUSTOMERS) ?? 5_000;
      const orders = num(values['shop-orders']) ?? num(process.env.BENCH_SHOP_ORDERS) ?? 25_000;
      const storage = values['shop-storage'] ?? process.env.BENCH_SHOP_STORAGE ?? 'hpos';
      try {
        const mod = (await import('./shop')) as { benchShop?: (o: Record<string, unknown>) => Promise<ShopRow[]> };
        if (typeof mod.benchShop !== 'function') throw new Error('bench/shop.ts does not export benchShop');
        const started = Date.now();
        const shopRows = await mod.benchShop({ customers, orders, storage, log: say });
        for (const r of shopRows) rows.push({ metric: `shop: ${r.name}`, value: r.value, unit: r.unit, target: r.target });
        out.shop = { customers, orders, storage, seconds: (Date.now() - started) / 1000, rows: shopRows };
      } catch (err) {
        const message = (err as Error).message.split('\n')[0]!.slice(0, 120);
        say(`== shop: failed: ${(err as Error).stack ?? message}`);
        rows.push({ metric: 'shop reader', value: NaN, unit: '', note: `skipped: benchShop threw: ${message}` });
        out.shop = { error: message };
      }
    }
  }

  if (!values['skip-render']) {
    say('== render');
    try {
      const { benchRender } = await import('./render');
      for (const r of await benchRender()) {
        rows.push({ metric: r.name, value: r.value, unit: r.unit, target: r.target, ...(r.target ? { pass: r.value >= 1000 } : {}) });
      }
    } catch (err) {
      rows.push({ metric: 'render', value: NaN, unit: '', pass: false, note: `failed: ${(err as Error).message.slice(0, 120)}` });
    }
  }

  if (!values['skip-webhooks']) {
    say('== webhooks');
    try {
      const { benchWebhooks } = await import('./webhooks');
      rows.push(...(await benchWebhooks({ events: num(process.env.BENCH_WEBHOOK_EVENTS) ?? 10_000, log: say })));
    } catch (err) {
      rows.push({ metric: 'webhooks', value: NaN, unit: '', pass: false, note: `failed: ${(err as Error).message.slice(0, 120)}` });
    }
  }

  if (!values['skip-reports']) {
    say('== reports');
    try {
      const { benchReports } = await import('./reports');
      rows.push(...(await benchReports({ log: say })));
    } catch (err) {
      rows.push({ metric: 'reports', value: NaN, unit: '', pass: false, note: `failed: ${(err as Error).message.slice(0, 120)}` });
    }
  }

  out.loadavgAfter = loadavg();
  out.rows = rows;
  writeJson(path.join(ROOT, '.retain', 'bench', 'run.json'), out);
  process.stdout.write(`\n${formatTable(rows)}\n\nresults: .retain/bench/run.json (spine: .retain/bench/spine.json)\n`);
  const failed = rows.filter((r) => r.pass === false);
  if (failed.length) process.stdout.write(`failing targets: ${failed.map((r) => r.metric).join('; ')}\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
