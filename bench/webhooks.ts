import { execFileSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
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
// Mailgun is another machine: the clients run in a worker thread of their own, so the sidecar's
// thread is measured alone (the two still share this machine's cores).

export interface LoadResult { seconds: number; statuses: Record<string, number> }

/**
 * The load generator, plain JavaScript for a worker thread: each client keeps one HTTP/1.1
 * connection alive and sends pre-built requests one after another, reading only the status line
 * and Content-Length of each answer (the sidecar always sends one).
 */
const LOAD_GENERATOR = String.raw`
const net = require('node:net');
const { parentPort, workerData: w } = require('node:worker_threads');
const head = (n) => 'POST ' + w.path + ' HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\nContent-Type: application/json\r\nContent-Length: ' + n + '\r\n\r\n';
const requests = w.bodies.map((b) => { const body = Buffer.from(b); return Buffer.concat([Buffer.from(head(body.length)), body]); });
const statuses = {};
let next = 0;
function client() {
  return new Promise((resolve, reject) => {
    const socket = net.connect(w.port, '127.0.0.1');
    socket.setNoDelay(true);
    let buf = Buffer.alloc(0);
    const send = () => (next < requests.length ? socket.write(requests[next++]) : socket.end());
    socket.on('connect', send);
    socket.on('data', (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const headers = buf.subarray(0, end).toString('latin1');
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(headers)?.[1] ?? NaN);
        if (!Number.isFinite(length)) return reject(new Error('an answer without Content-Length: ' + headers.split('\r\n')[0]));
        if (buf.length < end + 4 + length) return;
        const status = headers.slice(9, 12);
        statuses[status] = (statuses[status] ?? 0) + 1;
        buf = buf.subarray(end + 4 + length);
        send();
      }
    });
    socket.on('error', reject);
    socket.on('close', resolve);
  });
}
const started = process.hrtime.bigint();
Promise.all(Array.from({ length: w.clients }, client)).then(
  () => parentPort.postMessage({ seconds: Number(process.hrtime.bigint() - started) / 1e9, statuses }),
  (err) => { throw err; },
);
`;

/**
 * CPU seconds this process's main thread (the sidecar's) has used, from /proc: a figure that holds
 * when other work shares the machine, unlike events per second. Null where /proc is missing.
 */
function mainThreadCpuSeconds(): number | null {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat(5); fields[0] here is field 3.
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return null;
  }
}
const clockTicks = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Sends every body once over `clients` keep-alive connections from a worker thread. */
export function generateLoad(o: { port: number; path: string; bodies: string[]; clients: number }): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(LOAD_GENERATOR, { eval: true, workerData: o });
    worker.once('message', (r: LoadResult) => {
      resolve(r);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the load generator exited with ${code}`)));
  });
}

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
  try {
    // Bodies are built before the clock starts: the bench measures the sidecar, not the signer.
    const kinds = ['delivered', 'opened', 'clicked', 'failed'];
    const bodies = Array.from({ length: total }, (_v, i) =>
      JSON.stringify(mailgunWebhook(eventData(kinds[i % 4]!, `bench${i % 5000}@example.com`, null, kinds[i % 4] === 'failed' ? { severity: 'temporary' } : {}))),
    );
    const load = loadavg();
    log(`webhooks: load average before the run ${load.map((l) => l.toFixed(2)).join(' ')} on ${cpus().length} cores`);
    const cpuBefore = mainThreadCpuSeconds();
    const { seconds, statuses } = await generateLoad({ port, path: '/v1/webhooks/mailgun', bodies, clients });
    const cpuAfter = mainThreadCpuSeconds();
    const cpuPerEventUs = cpuBefore === null || cpuAfter === null ? null : ((cpuAfter - cpuBefore) / total) * 1e6;
    const answered = Object.values(statuses).reduce((a, b) => a + b, 0);
    const failed = total - (statuses['200'] ?? 0);
    if (answered !== total) log(`webhooks: only ${answered} of ${total} requests were answered`);
    const [rows] = await db.pool.query<Row[]>(`SELECT COUNT(*) AS n FROM \`${db.prefix}retain_provider_events\``);
    const stored = Number(rows[0]!.n);
    const rate = total / seconds;
    log(`webhooks: ${total} events, ${clients} clients, ${seconds.toFixed(2)} s, ${rate.toFixed(0)} events/s, stored ${stored}, non-200 ${failed} ${JSON.stringify(statuses)}`);
    if (cpuPerEventUs !== null) log(`webhooks: the sidecar's thread used ${cpuPerEventUs.toFixed(0)} µs of CPU per event (≈ ${(1e6 / cpuPerEventUs).toFixed(0)} events/s with a core to itself)`);
    // Applying them afterwards (the runner's work), for the record.
    const applyStart = process.hrtime.bigint();
    while ((await sidecar.processEvents()) > 0);
    const applySeconds = Number(process.hrtime.bigint() - applyStart) / 1e9;
    return [
      { metric: 'webhooks accepted (verified, stored, 200)', value: Math.round(rate), unit: 'events/s', target: '≥ 2000', pass: rate >= 2000 && stored === total && failed === 0, note: `${stored}/${total} stored, ${failed} non-200` },
      ...(cpuPerEventUs === null ? [] : [{ metric: "webhook intake: sidecar thread's CPU", value: Math.round(cpuPerEventUs), unit: 'µs/event', note: `≈ ${Math.round(1e6 / cpuPerEventUs)} events/s with a core to itself` }]),
      { metric: 'webhooks applied afterwards', value: Math.round(total / applySeconds), unit: 'events/s' },
    ];
  } finally {
    server.closeAllConnections();
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
