import { execFileSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ManualClock } from '../sidecar/src/clock';
import type { Row } from '../sidecar/src/db/sql';
import { buildSidecar } from '../sidecar/src/deps';
import { createLogger } from '../sidecar/src/logger';
import { createTestDatabase } from '../tests/support/db';
import { seedShop } from '../tests/support/shop';
import { testConfig } from '../tests/support/sidecar';
import { eventData, mailgunWebhook, WEBHOOK_KEY } from '../tests/sidecar/engagement/mailgun-webhook';

// Mailgun webhooks accepted per second by one sidecar process over real HTTP, each verified and
// durably stored before its 200; then every one is checked to be in the table (no loss).
//   npx tsx bench/webhooks.ts [--events 20000] [--clients 64]
// The lead calls benchWebhooks() from `npm run bench`; the row's target is 2,000 events/s.

export interface WebhookBenchRow { metric: string; value: number; unit: string; target?: string; pass?: boolean; note?: string }

export async function benchWebhooks(o: { events?: number; clients?: number; log?: (s: string) => void } = {}): Promise<WebhookBenchRow[]> {
  const total = o.events ?? 20_000;
  const clients = o.clients ?? 64;
  const log = o.log ?? (() => undefined);
  if (!process.env.RETAIN_TEST_DB_ADMIN_URL) {
    process.env.RETAIN_TEST_DB_ADMIN_URL = execFileSync('bash', [path.join(__dirname, '..', 'scripts', 'mariadb.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  }
  const db = await createTestDatabase({ label: 'webhooks' });
  await seedShop(db.url, db.pool, db.prefix);
  const config = testConfig(db, { MAILGUN_WEBHOOK_SIGNING_KEY: WEBHOOK_KEY, LOG_LEVEL: 'silent' });
  const sidecar = await buildSidecar(config, createLogger('silent'), { clock: new ManualClock(new Date()) });
  const server = http.createServer(sidecar.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  try {
    // Bodies are built before the clock starts: the bench measures the sidecar, not the signer.
    const kinds = ['delivered', 'opened', 'clicked', 'failed'];
    const bodies = Array.from({ length: total }, (_v, i) =>
      JSON.stringify(mailgunWebhook(eventData(kinds[i % 4]!, `bench${i % 5000}@example.com`, null, kinds[i % 4] === 'failed' ? { severity: 'temporary' } : {}))),
    );
    const post = (body: string) =>
      new Promise<number>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, path: '/v1/webhooks/mailgun', method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end(body);
      });
    let next = 0;
    let failed = 0;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (next < total) {
          const status = await post(bodies[next++]!);
          if (status !== 200) failed++;
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const [rows] = await db.pool.query<Row[]>(`SELECT COUNT(*) AS n FROM \`${db.prefix}retain_provider_events\``);
    const stored = Number(rows[0]!.n);
    const rate = total / seconds;
    log(`webhooks: ${total} events, ${clients} clients, ${seconds.toFixed(2)} s, ${rate.toFixed(0)} events/s, stored ${stored}, non-200 ${failed}`);
    // Applying them afterwards (the runner's work), for the record.
    const applyStart = process.hrtime.bigint();
    while ((await sidecar.processEvents()) > 0);
    const applySeconds = Number(process.hrtime.bigint() - applyStart) / 1e9;
    return [
      { metric: 'webhooks accepted (verified, stored, 200)', value: Math.round(rate), unit: 'events/s', target: '≥ 2000', pass: rate >= 2000 && stored === total && failed === 0, note: `${stored}/${total} stored, ${failed} non-200` },
      { metric: 'webhooks applied afterwards', value: Math.round(total / applySeconds), unit: 'events/s' },
    ];
  } finally {
    agent.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await sidecar.close();
    await db.drop();
  }
}

if (require.main === module) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  benchWebhooks({ events: arg('events'), clients: arg('clients'), log: (s) => process.stderr.write(`${s}\n`) }).then(
    (rows) => {
      for (const r of rows) process.stdout.write(`${r.metric}: ${r.value} ${r.unit}${r.target ? ` (target ${r.target}${r.pass ? ', met' : ', NOT met'})` : ''}${r.note ? ` — ${r.note}` : ''}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`${(err as Error).stack}\n`);
      process.exit(1);
    },
  );
}
