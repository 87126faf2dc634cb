import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type request from 'supertest';
import { DAY, ManualClock } from '../../sidecar/src/clock';
import { loadConfig, type Config } from '../../sidecar/src/config';
import { buildSidecar, type BuildOptions, type Sidecar } from '../../sidecar/src/deps';
import { createLogger } from '../../sidecar/src/logger';
import { signRequest } from '../../sidecar/src/signing/request-signature';
import { createTestDatabase, type TestDatabase } from './db';
import type { FakeMailgun } from '../fake-mailgun';
import { seedShop } from './shop';

export const TEST_SECRET = 'test-secret-0123456789abcdef0123456789abcdef';
export const MAILGUN_DOMAIN = 'mg.shop.example.test';

export interface TestSidecar extends Sidecar {
  db: TestDatabase;
  clock: ManualClock;
  config: Config;
}

export function testConfig(db: TestDatabase, extra: Record<string, string> = {}, mailgun?: FakeMailgun): Config {
  return loadConfig({
    RETAIN_SHOP_DB_URL: db.url,
    RETAIN_TABLE_PREFIX: db.prefix,
    RETAIN_SECRET: TEST_SECRET,
    RETAIN_PUBLIC_URL: 'https://retain.shop.example.test',
    RETAIN_OUTBOX_DIR: mkdtempSync(path.join(tmpdir(), 'retain-outbox-')),
    RETAIN_RUNNER_CONCURRENCY: '8',
    // Render threads are tested on their own (render-pool tests); a test sidecar renders inline.
    RETAIN_RENDER_THREADS: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...(mailgun ? { MAILGUN_API_KEY: mailgun.apiKey, MAILGUN_DOMAIN, MAILGUN_URL: mailgun.url, MAILGUN_TIMEOUT_MS: '1000' } : {}),
    ...extra,
  });
}

/** A real sidecar on its own database, with a hand-moved clock and (optionally) the fake Mailgun. */
export async function startTestSidecar(
  opts: { mailgun?: FakeMailgun; db?: TestDatabase; env?: Record<string, string>; build?: BuildOptions; label?: string; start?: string; shopOptions?: Record<string, string> } = {},
): Promise<TestSidecar> {
  const db = opts.db ?? (await createTestDatabase({ label: opts.label ?? 'sidecar' }));
  await seedShop(db.url, db.pool, db.prefix, opts.shopOptions);
  const clock = new ManualClock(opts.start ?? '2026-11-22T10:00:00Z');
  const config = testConfig(db, opts.env, opts.mailgun);
  const sidecar = await buildSidecar(config, createLogger(config.logLevel), { clock, claimTimeoutMs: 60_000, ...opts.build });
  return { ...sidecar, db, clock, config };
}

/** Moves the test clock a day at a time and runs what falls due each day (e.g. to let a welcome series finish). */
export async function runDaysAhead(s: TestSidecar, days: number): Promise<void> {
  for (let i = 0; i < days; i++) {
    s.clock.advance(DAY);
    await s.runner.runDue();
  }
}

/**
 * Signs a body as the plugin does and sends it with supertest. Events built without an
 * `occurred_at` get the test clock's now, as the plugin stamps events when they happen.
 */
export function signed(test: request.Test, body: string, clock: { now(): Date }, secret = TEST_SECRET): request.Test {
  body = stampEvents(body, clock.now());
  const ts = Math.floor(clock.now().getTime() / 1000);
  return test.set('Content-Type', 'application/json').set('X-Retain-Timestamp', String(ts)).set('X-Retain-Signature', signRequest(secret, ts, body)).send(body);
}

function stampEvents(body: string, now: Date): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body; // malformed on purpose
  }
  if (typeof parsed !== 'object' || parsed === null) return body;
  const list = Array.isArray((parsed as { events?: unknown }).events) ? (parsed as { events: unknown[] }).events : [parsed];
  let changed = false;
  for (const e of list) {
    if (e && typeof e === 'object' && 'type' in e && !('occurred_at' in e)) {
      (e as Record<string, unknown>).occurred_at = now.toISOString();
      changed = true;
    }
  }
  return changed ? JSON.stringify(parsed) : body;
}

let seq = 0;
/** An event as the plugin sends it; `occurred_at` is stamped by `signed()` unless given. */
export function event(type: string, data: Record<string, unknown>, overrides: Record<string, unknown> = {}) {
  return { id: `evt-${Date.now().toString(36)}-${(++seq).toString(36)}-${Math.random().toString(36).slice(2, 8)}`, type, data, ...overrides };
}

export const grantedConsent = { state: 'granted', source: 'signup_form', text: 'Send me news and offers', text_version: 'v1', ip: '203.0.113.7' } as const;
