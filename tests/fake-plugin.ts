import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyRequest } from '../sidecar/src/signing/request-signature';

// The plugin's coupon endpoint as the sidecar sees it over HTTP (the real one is tested inside
// WordPress by tests/plugin). It checks the signature like the plugin does and is idempotent.

export interface FakePlugin {
  url: string;
  coupons: Array<Record<string, unknown> & { code: string }>;
  /** The next n coupon requests answer this status. */
  failNext(n: number, status: number): void;
  close(): Promise<void>;
}

export async function startFakePlugin(secret: string): Promise<FakePlugin> {
  const byKey = new Map<string, Record<string, unknown> & { code: string }>();
  let failures: number[] = [];
  const fake: FakePlugin = { url: '', coupons: [], failNext: (n, status) => (failures = [...failures, ...Array(n).fill(status)]), close: async () => undefined };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const reply = (status: number, json: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      if (req.method !== 'POST' || req.url !== '/wp-json/retain/v1/coupons') return reply(404, { error: { code: 'rest_no_route' } });
      const check = verifyRequest(secret, { timestamp: req.headers['x-retain-timestamp'] as string, signature: req.headers['x-retain-signature'] as string }, body, new Date(Number(req.headers['x-retain-timestamp']) * 1000));
      if (!check.ok) return reply(401, { error: { code: check.code } });
      const failure = failures.shift();
      if (failure) return reply(failure, { error: { code: 'fake_failure' } });
      const data = JSON.parse(body.toString()) as Record<string, string>;
      const existing = byKey.get(data.idempotency_key!);
      if (existing) return reply(201, existing);
      const coupon = { code: `${data.prefix}${String(fake.coupons.length + 1).padStart(6, '0')}`, type: data.type!, amount: data.amount!, expires_at: data.expires_at!, email: data.email };
      byKey.set(data.idempotency_key!, coupon);
      fake.coupons.push(coupon);
      reply(201, coupon);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () => new Promise((r) => server.close(() => r()));
  return fake;
}
