import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { loadConfig } from '../sidecar/src/config';
import { buildSidecar } from '../sidecar/src/deps';
import { listOutbox } from '../sidecar/src/mail/outbox-transport';
import { createLogger } from '../sidecar/src/logger';
import { signedHeaders } from '../sidecar/src/signing/request-signature';
import { generateShop } from '../sidecar/src/shop/generator/generate';

// The demo: a shop, the sidecar on the local outbox, and a scripted burst of the events the
// plugin sends. `--once` (and any run without a terminal) stops when the emails are written.

const root = path.resolve(__dirname, '..');
const once = process.argv.includes('--once') || !process.stdout.isTTY || process.env.CI === 'true';
const port = Number(process.env.PORT ?? 8787);
const secret = process.env.RETAIN_SECRET ?? 'demo-secret-not-for-production-0123456789';
const outboxDir = path.join(root, '.retain', 'demo', 'outbox');
const say = (line: string) => process.stdout.write(`${line}\n`);

async function shopDatabase(): Promise<string> {
  if (process.env.RETAIN_SHOP_DB_URL) {
    say(`Using your shop database from RETAIN_SHOP_DB_URL (read-only for WooCommerce's tables).`);
    return process.env.RETAIN_SHOP_DB_URL;
  }
  const admin = process.env.RETAIN_DEMO_DB_ADMIN_URL;
  if (!admin) throw new Error('run the demo with `npm run demo` (it starts MariaDB first)');
  // A fresh demo shop each run, so the story below plays the same every time.
  const conn = await mysql.createConnection(admin);
  await conn.query('DROP DATABASE IF EXISTS retain_demo');
  await conn.end();
  const url = `${admin.replace(/\/+$/, '')}/retain_demo`;
  const shop = await generateShop({ url, seed: 20261122, timezone: 'Europe/Berlin', currency: 'EUR' });
  say(`Generated a demo shop in database retain_demo: ${shop.customers} customers, ${shop.orders} orders, ${shop.products} products (${shop.storage}).`);
  return url;
}

interface DemoEvent {
  type: string;
  data: Record<string, unknown>;
}

const consent = (source: string) => ({ state: 'granted', source, text: 'Yes, send me news and offers by email.', text_version: 'signup-v1', ip: '203.0.113.20' });

const story: Array<{ note: string; events: DemoEvent[] }> = [
  {
    note: 'Dana signs up for the newsletter in the footer form',
    events: [{ type: 'subscriber.created', data: { email: 'dana.levi@example.com', first_name: 'Dana', last_name: 'Levi', locale: 'he_IL', consent: consent('signup_form') } }],
  },
  {
    note: 'Omar registers at checkout and ticks the marketing box',
    events: [
      { type: 'customer.created', data: { customer_id: 9001, email: 'omar.haddad@example.com', first_name: 'Omar', billing_country: 'AE', marketing_consent: consent('checkout') } },
    ],
  },
  {
    note: 'Mila registers without ticking the box: no marketing email',
    events: [{ type: 'customer.created', data: { customer_id: 9002, email: 'mila.petrovic@example.com', first_name: 'Mila', locale: 'sr_RS' } }],
  },
  {
    note: 'Lena signs up, browses, fills a cart, then unsubscribes from the first email',
    events: [
      { type: 'subscriber.created', data: { email: 'lena.fischer@example.com', first_name: 'Lena', consent: consent('signup_form') } },
      { type: 'product.viewed', data: { product_id: 12, email: 'lena.fischer@example.com' } },
      { type: 'search.performed', data: { query: 'oolong', results: 3, email: 'lena.fischer@example.com' } },
      { type: 'cart.updated', data: { cart_key: 'demo-cart-lena', email: 'lena.fischer@example.com', currency: 'EUR', items: [{ product_id: 12, quantity: 1, price: '14.00' }], total: '14.00' } },
    ],
  },
];

async function main(): Promise<void> {
  const shopUrl = await shopDatabase();
  rmSync(outboxDir, { recursive: true, force: true });
  const config = loadConfig({
    RETAIN_SHOP_DB_URL: shopUrl,
    RETAIN_SECRET: secret,
    RETAIN_PUBLIC_URL: `http://127.0.0.1:${port}`,
    RETAIN_OUTBOX_DIR: outboxDir,
    RETAIN_FLOWS_FILE: path.join(root, 'scripts', 'demo', 'flows.yaml'),
    RETAIN_POLL_SECONDS: '1',
    // Demo speed: the series plays in seconds, at any hour of the day.
    RETAIN_FREQUENCY_CAP: 'off',
    RETAIN_QUIET_HOURS: 'off',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    RETAIN_TABLE_PREFIX: process.env.RETAIN_TABLE_PREFIX ?? 'wp_',
  });
  const sidecar = await buildSidecar(config, createLogger(config.logLevel));
  const server = sidecar.app.listen(port, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  sidecar.runner.start();
  const base = `http://127.0.0.1:${port}`;
  say(`Sidecar listening on ${base} (transport: ${sidecar.transport.name})\n`);

  // One more scene from the shop's own data: an existing customer's latest order is paid.
  await sidecar.shop.facts.refresh();
  const [regular] = (await sidecar.shop.segments.members('repeat', { limit: 1 })).members;
  const [order] = regular ? await sidecar.shop.orders.forContact({ email: regular.email }, { limit: 1 }) : [];
  if (regular && order) {
    story.push({
      note: `${regular.email}, a regular customer, pays for order #${order.id} (read from the shop's own tables)`,
      events: [
        { type: 'consent.changed', data: { email: regular.email, consent: consent('account') } },
        { type: 'order.status_changed', data: { order_id: order.id, from: 'pending', to: 'processing', email: regular.email } },
      ],
    });
  }

  for (const scene of story) {
    const events = scene.events.map((e) => ({ id: randomUUID(), type: e.type, occurred_at: new Date().toISOString(), data: e.data }));
    const body = JSON.stringify({ events });
    const res = await fetch(`${base}/v1/events`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...signedHeaders(secret, body, new Date()) }, body });
    say(`  ${res.status === 202 ? '✓' : '✗'} ${scene.note} (${events.length} signed event${events.length > 1 ? 's' : ''}, HTTP ${res.status})`);
  }

  const waitFor = async (check: () => Promise<boolean>, seconds: number) => {
    const deadline = Date.now() + seconds * 1000;
    while (!(await check()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  };
  await waitFor(async () => (await listOutbox(outboxDir)).length >= 2, 30);

  // Lena uses the one-click unsubscribe link from her first email, as Gmail's button would.
  const lena = (await listOutbox(outboxDir)).find((m) => m.to === 'lena.fischer@example.com');
  const link = lena && /<(http[^>]+)>/.exec(lena.headers['List-Unsubscribe'] ?? '')?.[1];
  if (link) {
    const res = await fetch(link, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    say(`  ${res.ok ? '✓' : '✗'} Lena clicks "unsubscribe" in her email (one-click POST, HTTP ${res.status})`);
  }

  say('\nWaiting 20 seconds (demo speed) for the welcome series\' second email…');
  await waitFor(async () => (await listOutbox(outboxDir)).length >= 6, 40);
  await new Promise((r) => setTimeout(r, 1500));

  const messages = (await listOutbox(outboxDir)).reverse();
  say(`\n${messages.length} emails in the outbox:`);
  for (const m of messages) say(`  #${m.messageId}  ${m.to.padEnd(28)} ${m.subject}`);
  say('\nThe regular customer got a thank-you for their real order. No second email for Lena (she unsubscribed), none for Mila');
  say('(no consent), and Dana reads hers in Hebrew (her WordPress locale). `npx retain timeline <email>` says why.');
  say(`\nRead them:\n  in a browser: ${base}/outbox\n  as .eml files: ${outboxDir}`);

  if (once) {
    await new Promise((r) => server.close(r));
    await sidecar.close();
    return;
  }
  say('\nThe sidecar keeps running so you can browse the outbox. Press Ctrl-C to stop.');
  process.on('SIGINT', () => {
    server.close();
    void sidecar.close().then(() => process.exit(0));
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
