import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../clock';
import { HOUR, MINUTE } from '../clock';
import { emailHash, normalizeEmail, type ContactStore } from '../contacts/contacts';
import { withTransaction, type Connection, type Pool } from '../db/pool';
import { multiRow, type Result, type Row } from '../db/sql';
import type { Logger } from '../logger';
import type { ClaimMode } from '../schedule/jobs';
import { isValidAddress } from './hygiene';
import { engagementQueries } from './queries';

// Mailgun's webhooks: verified, stored once per event id (and once per signature token) before the
// 200, and applied afterwards in batches by the runner's tick, like shop events. Mailgun
// retries anything but 200 and 406, so every answer is chosen for what Mailgun will do next.

/** Mailgun advises against an aggressive check; its retries come minutes apart. */
export const WEBHOOK_MAX_SKEW_MS = 15 * MINUTE;
/** Applied events are kept this long: their tokens refuse replays and temporary failures are counted. */
export const PROVIDER_EVENT_RETENTION_MS = 30 * 24 * HOUR;

export type SignatureCheck = { ok: true } | { ok: false; code: 'signature_invalid' | 'timestamp_stale'; message: string };

/** HMAC-SHA256(signing key, timestamp + token) as hex, compared in constant time; then the clock. */
export function verifyMailgunSignature(
  key: string,
  sig: { timestamp: string; token: string; signature: string },
  now: Date,
  maxSkewMs = WEBHOOK_MAX_SKEW_MS,
): SignatureCheck {
  const expected = createHmac('sha256', key).update(sig.timestamp + sig.token).digest();
  const given = /^[0-9a-f]{64}$/i.test(sig.signature) ? Buffer.from(sig.signature, 'hex') : Buffer.alloc(0);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, code: 'signature_invalid', message: 'the signature does not match MAILGUN_WEBHOOK_SIGNING_KEY' };
  }
  if (Math.abs(now.getTime() - Number(sig.timestamp) * 1000) > maxSkewMs) {
    return { ok: false, code: 'timestamp_stale', message: 'the signature timestamp is too far from our clock' };
  }
  return { ok: true };
}

const signatureSchema = z.object({
  timestamp: z.union([z.string().regex(/^\d{1,12}$/), z.number().int().nonnegative()]).transform(String),
  token: z.string().min(1).max(128),
  signature: z.string().min(1).max(256),
});

const eventDataSchema = z.looseObject({
  event: z.string().min(1).max(32),
  id: z.string().min(1).max(128),
  timestamp: z.number().positive(),
  recipient: z.string().max(254).optional(),
  severity: z.string().max(16).optional(),
  reason: z.string().max(200).optional(),
  'user-variables': z.record(z.string(), z.unknown()).optional(),
  'client-info': z.record(z.string(), z.unknown()).optional(),
  message: z.looseObject({ headers: z.record(z.string(), z.unknown()).optional() }).optional(),
});

export type MailgunEventData = z.infer<typeof eventDataSchema>;

/** Events that change something need to say about whom. */
const ACTED_ON = new Set(['delivered', 'opened', 'clicked', 'failed', 'complained', 'unsubscribed']);

/**
 * Mailgun flags opens by image proxies and privacy pre-fetchers (Apple Mail Privacy Protection):
 * `client-info.bot` names the bot, and robots report `client-type: robot`.
 */
export function isMachineOpen(data: Pick<MailgunEventData, 'client-info'>): boolean {
  const info = data['client-info'] ?? {};
  const bot = info.bot;
  if (bot === true || (typeof bot === 'string' && bot !== '' && bot.toLowerCase() !== 'false')) return true;
  return typeof info['client-type'] === 'string' && /robot|bot/i.test(info['client-type']);
}

export type WebhookResult =
  | { ok: true; duplicate: boolean; outcome: 'stored' | 'unknown_message' | 'duplicate' }
  | { ok: false; status: 400 | 401 | 406 | 503; code: string; message: string };

export interface WebhookDeps {
  pool: Pool;
  prefix: string;
  clock: Clock;
  log: Logger;
  contacts: ContactStore;
  claimMode: ClaimMode;
  signingKey: string | null;
  softBounceLimit: number;
  softBounceWindowMs: number;
  /** Called after an event is stored, so the runner applies it soon. */
  onStored?: () => void;
}

export type WebhookService = ReturnType<typeof createWebhookService>;

export function createWebhookService(d: WebhookDeps) {
  const q = engagementQueries(d.prefix);
  const pendingSql = d.claimMode === 'skip-locked' ? q.pendingProviderEventsSkipLocked : q.pendingProviderEventsLocked;
  let lastPrune = 0;

  const reject = (status: 400 | 401 | 406 | 503, code: string, message: string): WebhookResult => ({ ok: false, status, code, message });

  interface Pending {
    data: MailgunEventData;
    token: string;
    recipient: string | null;
    /** `v:retain_message_id`, and Mailgun's message id: how the event names our message. */
    ourMessageId: number | null;
    providerMessageId: string | null;
    done: (r: WebhookResult) => void;
    fail: (err: unknown) => void;
  }
  // Group commit, as the event store does: requests that arrive while the write slots are busy are
  // stored together by the next batch, so a burst costs one read, one INSERT and one commit per
  // batch. Several batches are in flight at once so that the round trips of one overlap another's.
  const waiting: Pending[] = [];
  const MAX_BATCH = 500;
  const MAX_INFLIGHT = 4;
  let inflight = 0;
  /** Event ids and tokens being written now: a request that shares one waits, so its answer is exact. */
  const writing = new Set<string>();

  const ourMessageId = (data: MailgunEventData): number | null => {
    const v = data['user-variables']?.retain_message_id;
    if (typeof v === 'string' && /^\d{1,15}$/.test(v)) return Number(v);
    return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : null;
  };
  const providerMessageId = (data: MailgunEventData): string | null => {
    const v = data.message?.headers?.['message-id'];
    return typeof v === 'string' && v.length <= 255 ? v.replace(/^<|>$/g, '') : null;
  };
  /** `IN (?)` with an empty list is a syntax error; `IN (NULL)` matches nothing. */
  const inList = <T>(values: Iterable<T>): Array<T | null> => {
    const list = [...new Set(values)];
    return list.length ? list : [null];
  };

  /**
   * Stores a batch with one multi-row INSERT IGNORE: the unique keys on (provider, event_id) and
   * (provider, token) refuse duplicates and replays. When every row went in, that is the answer;
   * only a batch with a refused row reads the table again to tell a duplicate (200) from a replay (401).
   */
  async function store(batch: Pending[]): Promise<WebhookResult[]> {
    const ids = batch.map((p) => p.data.id);
    const [found] = await d.pool.query<Row[]>(q.webhookBatchLookup, [
      inList(batch.flatMap((p) => (p.ourMessageId === null ? [] : [p.ourMessageId]))),
      inList(batch.flatMap((p) => (p.providerMessageId === null ? [] : [p.providerMessageId]))),
      ids,
    ]);
    const known = new Set<number>();
    const byProvider = new Map<string, number>();
    const existed = new Set<string>();
    for (const r of found) {
      if (r.found === 'message') known.add(Number(r.id));
      else if (r.found === 'provider_message') byProvider.set(String(r.key), Number(r.id));
      else existed.add(String(r.key));
    }
    // Our message for each event: by `v:retain_message_id`, else by Mailgun's message id.
    const messageIds = batch.map((p) =>
      p.ourMessageId !== null && known.has(p.ourMessageId) ? p.ourMessageId : (byProvider.get(p.providerMessageId ?? '') ?? null),
    );
    const now = d.clock.now();
    const values: unknown[] = [];
    batch.forEach((p, i) => {
      values.push(
        'mailgun', p.data.id, p.token, p.data.event, p.data.severity ?? null, p.data.reason?.slice(0, 64) ?? null,
        p.data.event === 'opened' || p.data.event === 'clicked' ? Number(isMachineOpen(p.data)) : 0,
        messageIds[i], p.recipient, p.recipient ? emailHash(p.recipient) : null, new Date(Math.round(p.data.timestamp * 1000)), now,
      );
    });
    const [inserted] = await d.pool.query<Result>(multiRow(q.insertProviderEventIgnore, batch.length), values);
    const stored = (i: number) => ({ ok: true, duplicate: false, outcome: messageIds[i] ? 'stored' : 'unknown_message' }) as const;
    if (inserted.affectedRows === batch.length) return batch.map((_p, i) => stored(i));

    const [after] = await d.pool.query<Row[]>(q.providerEventsByIds, [ids]);
    const tokenOf = new Map(after.map((r) => [String(r.event_id), String(r.token)]));
    return batch.map((p, i) => {
      const token = tokenOf.get(p.data.id);
      if (existed.has(p.data.id) || (token !== undefined && token !== p.token)) return { ok: true, duplicate: true, outcome: 'duplicate' } as const;
      if (token === undefined) return reject(401, 'token_replayed', 'this signature token was already used');
      return stored(i);
    });
  }

  const keys = (p: Pending) => [`e:${p.data.id}`, `t:${p.token}`];

  /** Starts batches while slots are free; each takes what has queued up since the last one. */
  function pump(): void {
    while (inflight < MAX_INFLIGHT && waiting.length > 0) {
      const batch: Pending[] = [];
      const taken = new Set<string>();
      for (let i = 0; i < waiting.length && batch.length < MAX_BATCH; ) {
        const k = keys(waiting[i]!);
        if (k.some((key) => writing.has(key) || taken.has(key))) {
          i++;
          continue;
        }
        batch.push(waiting.splice(i, 1)[0]!);
        for (const key of k) taken.add(key);
      }
      if (batch.length === 0) return; // everything waiting shares an id or token with a write in flight
      for (const key of taken) writing.add(key);
      inflight++;
      void store(batch)
        .then((results) => {
          batch.forEach((p, i) => p.done(results[i]!));
          if (results.some((r) => r.ok && !r.duplicate)) d.onStored?.();
        })
        .catch((err) => batch.forEach((p) => p.fail(err)))
        .finally(() => {
          for (const key of taken) writing.delete(key);
          inflight--;
          pump();
        });
    }
  }

  async function receive(raw: Buffer): Promise<WebhookResult> {
    if (!d.signingKey) return reject(503, 'webhooks_not_configured', 'set MAILGUN_WEBHOOK_SIGNING_KEY to receive Mailgun webhooks');
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return reject(400, 'malformed_json', 'the body is not JSON');
    }
    const sig = signatureSchema.safeParse((body as { signature?: unknown } | null)?.signature);
    if (!sig.success) return reject(401, 'signature_invalid', 'the body has no Mailgun signature');
    const check = verifyMailgunSignature(d.signingKey, sig.data, d.clock.now());
    if (!check.ok) return reject(401, check.code, check.message);

    // From here the payload is Mailgun's own: a 406 tells it not to retry what we will never take.
    const parsed = eventDataSchema.safeParse((body as Record<string, unknown>)['event-data']);
    if (!parsed.success) return reject(406, 'event_invalid', `event-data: ${parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ')}`);
    const data = parsed.data;
    const recipient = data.recipient ? normalizeEmail(data.recipient) : null;
    if (ACTED_ON.has(data.event) && !recipient) return reject(406, 'event_invalid', 'event-data.recipient is required');

    return new Promise<WebhookResult>((done, fail) => {
      waiting.push({ data, token: sig.data.token, recipient, ourMessageId: ourMessageId(data), providerMessageId: providerMessageId(data), done, fail });
      pump();
    });
  }

  /**
   * An email to the `mailto:` half of List-Unsubscribe, which a Mailgun route forwards here as a
   * form (docs/deliverability.md). Signed as webhooks are; stored as an `unsubscribed` event of the
   * address it came from (the From header, else the envelope sender), so the runner applies it
   * as it applies Mailgun's own unsubscribes, once.
   */
  async function receiveInbound(fields: Record<string, string>): Promise<WebhookResult> {
    if (!d.signingKey) return reject(503, 'webhooks_not_configured', 'set MAILGUN_WEBHOOK_SIGNING_KEY to receive Mailgun webhooks');
    const sig = signatureSchema.safeParse({ timestamp: fields.timestamp, token: fields.token, signature: fields.signature });
    if (!sig.success) return reject(401, 'signature_invalid', 'the form has no Mailgun signature');
    const check = verifyMailgunSignature(d.signingKey, sig.data, d.clock.now());
    if (!check.ok) return reject(401, check.code, check.message);
    // A route sending other mail here is a set-up mistake: 406, so Mailgun does not retry it.
    if (!/^unsubscribe(\+[^@]*)?@/i.test(fields.recipient ?? '')) return reject(406, 'inbound_not_unsubscribe', 'only mail to unsubscribe@ is taken here');
    const from = /<([^<>\s]+@[^<>\s]+)>/.exec(fields.from ?? '')?.[1] ?? (fields.from ?? '').trim();
    const address = [from, fields.sender ?? ''].find((a) => isValidAddress(a));
    if (!address) return reject(406, 'event_invalid', 'the email names no sender address');
    const data = { event: 'unsubscribed', id: `inbound-${sig.data.token}`.slice(0, 128), timestamp: Number(sig.data.timestamp), recipient: address } as MailgunEventData;
    return new Promise<WebhookResult>((done, fail) => {
      waiting.push({ data, token: sig.data.token, recipient: normalizeEmail(address), ourMessageId: null, providerMessageId: null, done, fail });
      pump();
    });
  }

  async function contactFor(conn: Connection, messageId: number | null, recipient: string | null) {
    if (messageId) {
      const [rows] = await conn.query<Row[]>(q.messageContact, [messageId]);
      const id = Number(rows[0]?.contact_id ?? 0);
      // contact_id 0 is an erased contact's message: the address is no longer ours to look up.
      if (id) return d.contacts.get(conn, id);
      if (rows[0]) return null;
    }
    return recipient ? d.contacts.findByEmail(conn, recipient) : null;
  }

  async function suppress(conn: Connection, row: Row, contactId: number | null, reason: string, at: Date): Promise<void> {
    if (row.recipient) await d.contacts.suppress(conn, row.recipient, reason, 'mailgun');
    if (contactId) {
      await d.contacts.addTimeline(conn, contactId, { kind: 'suppressed', detail: { reason, source: 'mailgun', message_id: row.message_id ?? null } }, at);
    }
  }

  async function apply(conn: Connection, row: Row): Promise<string> {
    const at: Date = row.occurred_at;
    const messageId: number | null = row.message_id == null ? null : Number(row.message_id);
    const touch = async (sql: string) => {
      if (messageId) await conn.query(sql, [at, messageId]);
    };
    const known = messageId ? '' : '_unknown_message';
    switch (row.event as string) {
      case 'delivered':
        await touch(q.messageDelivered);
        return `delivered${known}`;
      case 'opened':
      case 'clicked': {
        const machine = Boolean(row.machine);
        const contact = await contactFor(conn, messageId, row.recipient);
        if (row.event === 'clicked') {
          await touch(q.messageClicked);
          if (contact) await conn.query(q.contactClicked, [at, at, contact.id]);
        } else {
          await touch(machine ? q.messageMachineOpened : q.messageOpened);
          if (contact) await conn.query(machine ? q.contactMachineOpened : q.contactOpened, [at, at, contact.id]);
        }
        return `${row.event}${machine ? '_machine' : ''}${known}`;
      }
      case 'failed': {
        const contact = await contactFor(conn, messageId, row.recipient);
        if (row.severity === 'permanent') {
          await touch(q.messageBounced);
          await suppress(conn, row, contact?.id ?? null, 'bounced', at);
          return `suppressed_bounce${known}`;
        }
        // Repeated temporary failures: the mailbox is full or gone in all but name.
        const since = new Date(at.getTime() - d.softBounceWindowMs);
        const [[fails]] = (await conn.query<Row[]>(q.temporaryFailuresSince, [row.recipient_hash, since])) as unknown as [Row[]];
        if (Number(fails?.n ?? 0) >= d.softBounceLimit) {
          const [[delivered]] = (await conn.query<Row[]>(q.deliveredSince, [row.recipient_hash, fails!.first_at])) as unknown as [Row[]];
          if (Number(delivered?.n ?? 0) === 0) {
            await suppress(conn, row, contact?.id ?? null, 'soft_bounced', at);
            return `suppressed_soft_bounce${known}`;
          }
        }
        return `temporary_failure${known}`;
      }
      case 'complained':
      case 'unsubscribed': {
        const contact = await contactFor(conn, messageId, row.recipient);
        await touch(row.event === 'complained' ? q.messageComplained : q.messageUnsubscribed);
        if (row.event === 'complained') await suppress(conn, row, contact?.id ?? null, 'complained', at);
        if (!contact) return `${row.event}_unknown_contact`;
        if (contact.unsubscribedAt) return `${row.event}_already_unsubscribed`;
        // An email to the List-Unsubscribe mailto address (receiveInbound) says so in the history.
        const source = String(row.event_id).startsWith('inbound-') ? 'mailto' : 'mailgun';
        await d.contacts.recordConsent(conn, contact.id, { state: 'revoked', source, eventId: `${source}:${String(row.event_id).slice(0, 56)}` }, at);
        await d.contacts.addTimeline(conn, contact.id, { kind: 'unsubscribed', detail: { source, event: row.event, message_id: messageId } }, at);
        return row.event;
      }
      default:
        return 'ignored';
    }
  }

  async function processPending(limit = 500): Promise<number> {
    const done = await withTransaction(d.pool, async (conn) => {
      const [rows] = await conn.query<Row[]>(pendingSql, [limit]);
      for (const row of rows) {
        let outcome: string;
        try {
          await conn.query('SAVEPOINT provider_event');
          outcome = await apply(conn, row);
        } catch (err) {
          await conn.query('ROLLBACK TO SAVEPOINT provider_event');
          d.log.error({ providerEvent: row.id, event: row.event, code: (err as { code?: string })?.code ?? (err as Error)?.name }, 'provider event could not be applied; set aside');
          outcome = 'error';
        }
        await conn.query(q.markProviderEventProcessed, [d.clock.now(), outcome.slice(0, 40), row.id]);
      }
      return rows.length;
    });
    const now = d.clock.now().getTime();
    if (now - lastPrune > HOUR) {
      lastPrune = now;
      await d.pool.query(q.pruneProviderEvents, [new Date(now - PROVIDER_EVENT_RETENTION_MS)]);
    }
    return done;
  }

  return {
    queries: q,
    receive,
    receiveInbound,
    processPending,
    async pendingCount(): Promise<number> {
      const [rows] = await d.pool.query<Row[]>(q.pendingProviderEventCount);
      return Number(rows[0]?.n ?? 0);
    },
  };
}
