import FormData from 'form-data';
import Mailgun from 'mailgun.js';
import type { Clock } from '../clock';
import { emailHash, normalizeEmail, type ContactStore } from '../contacts/contacts';
import { withTransaction, type Connection, type Pool } from '../db/pool';
import { multiRow, type Result, type Row } from '../db/sql';
import type { MailgunSettings } from '../mail/mailgun-transport';
import { engagementQueries } from './queries';

// `npx retain suppressions sync`: Mailgun's suppression lists and ours, made to agree.
// Pull: every list is read to its end before anything is written, then applied in one
// transaction, so a failure mid-paging leaves nothing half-applied, and a re-run is idempotent.
// Push: our suppressions whose address we still hold go to the matching Mailgun list in batches;
// Mailgun's create updates an existing entry, so a push cut short is safe to repeat.

export const MAILGUN_LISTS = ['bounces', 'complaints', 'unsubscribes'] as const;
export type MailgunList = (typeof MAILGUN_LISTS)[number];

/** Mailgun answers at most 1000 entries per page and takes at most 1000 per batch create. */
export const MAILGUN_PAGE_LIMIT = 1000;
export const MAILGUN_BATCH_LIMIT = 1000;

/** Our suppression reason for an entry on each Mailgun list, and the list each of our reasons goes to. */
const REASON_OF: Record<MailgunList, string> = { bounces: 'bounced', complaints: 'complained', unsubscribes: 'unsubscribed' };
const LIST_OF: Record<string, MailgunList> = { bounced: 'bounces', soft_bounced: 'bounces', complained: 'complaints', unsubscribed: 'unsubscribes' };

export class SuppressionSyncError extends Error {
  constructor(readonly code: 'mailgun_entry_invalid' | 'mailgun_unavailable', message: string) {
    super(message);
  }
}

type MailgunSuppressions = ReturnType<InstanceType<typeof Mailgun>['client']>['suppressions'];

export function mailgunSuppressionClient(settings: MailgunSettings): MailgunSuppressions {
  return new Mailgun(FormData).client({ username: 'api', key: settings.apiKey, url: settings.url, timeout: settings.timeoutMs }).suppressions;
}

interface Entry {
  address: string;
  createdAt: Date;
  /** Unsubscribes only: `*` means every message from the domain, other tags only those tags. */
  allMail: boolean;
}

export interface SyncSummary {
  dryRun: boolean;
  pulled: Record<MailgunList, number>;
  /** Addresses that were not suppressed here before (would be, in a dry run). */
  newSuppressions: number;
  /** Contacts whose marketing consent the pull revoked. */
  consentRevoked: number;
  pushed: Record<MailgunList, number>;
  /** Our suppressions known only by hash (erased contacts): Mailgun cannot be given a hash. */
  skippedHashOnly: number;
}

export type SuppressionSync = ReturnType<typeof createSuppressionSync>;

export function createSuppressionSync(d: { pool: Pool; prefix: string; clock: Clock; contacts: ContactStore; client: MailgunSuppressions; domain: string }) {
  const q = engagementQueries(d.prefix);

  /** Every entry of one list, following Mailgun's `next` links until a page comes back empty. */
  async function readList(list: MailgunList): Promise<Entry[]> {
    const out: Entry[] = [];
    let page: string | undefined;
    for (let pageNo = 1; ; pageNo++) {
      let res;
      try {
        res = await d.client.list(d.domain, list, page ? { limit: MAILGUN_PAGE_LIMIT, page } : { limit: MAILGUN_PAGE_LIMIT });
      } catch (err) {
        const e = err as { status?: number; message?: string };
        throw new SuppressionSyncError('mailgun_unavailable', `reading Mailgun's ${list} (page ${pageNo}) failed: ${e.status ?? ''} ${String(e.message ?? err).slice(0, 120)}; nothing was changed, run it again`);
      }
      if (!Array.isArray(res.items)) throw new SuppressionSyncError('mailgun_entry_invalid', `Mailgun's ${list} page ${pageNo} has no items list; nothing was changed`);
      res.items.forEach((item, i) => out.push(toEntry(list, item as unknown as Record<string, unknown>, `${list} page ${pageNo} item ${i + 1}`)));
      const next = res.pages?.next?.page;
      if (res.items.length === 0 || !next || next === page) return out;
      page = next;
    }
  }

  /** mailgun.js turns each item into its model as given; the shape is checked here, the address never printed. */
  function toEntry(list: MailgunList, item: Record<string, unknown>, where: string): Entry {
    const address = typeof item.address === 'string' ? normalizeEmail(item.address) : '';
    if (!/^[^@\s]+@[^@\s]+$/.test(address) || address.length > 254) {
      throw new SuppressionSyncError('mailgun_entry_invalid', `${where}: "address" is missing or not an e-mail address; nothing was changed`);
    }
    const createdAt = item.created_at instanceof Date ? item.created_at : new Date(String(item.created_at));
    if (Number.isNaN(createdAt.getTime())) throw new SuppressionSyncError('mailgun_entry_invalid', `${where}: "created_at" is not a date; nothing was changed`);
    let allMail = true;
    if (list === 'unsubscribes' && item.tags !== undefined) {
      if (!Array.isArray(item.tags) || item.tags.some((t) => typeof t !== 'string')) {
        throw new SuppressionSyncError('mailgun_entry_invalid', `${where}: "tags" is not a list of strings; nothing was changed`);
      }
      allMail = item.tags.length === 0 || item.tags.includes('*');
    }
    return { address, createdAt, allMail };
  }

  async function chunks<T>(items: T[], size: number, fn: (chunk: T[]) => Promise<void>): Promise<void> {
    for (let i = 0; i < items.length; i += size) await fn(items.slice(i, i + size));
  }

  /** Applies the pulled lists (or, in a dry run, counts what would change). */
  async function applyPull(conn: Connection, lists: Record<MailgunList, Entry[]>, dryRun: boolean): Promise<{ newSuppressions: number; consentRevoked: number }> {
    // An unsubscribe from only some tags still blocks nothing else at Mailgun: consent goes, the address stays mailable.
    const suppress = new Map<string, { reason: string; at: Date }>();
    for (const list of MAILGUN_LISTS) {
      for (const e of lists[list]) {
        const hash = emailHash(e.address);
        if ((list !== 'unsubscribes' || e.allMail) && !suppress.has(hash)) suppress.set(hash, { reason: REASON_OF[list], at: e.createdAt });
      }
    }
    let newSuppressions = 0;
    await chunks([...suppress], 1000, async (chunk) => {
      if (dryRun) {
        const [rows] = await conn.query<Row[]>(q.suppressionHashes, [chunk.map(([h]) => h)]);
        newSuppressions += chunk.length - rows.length;
        return;
      }
      const now = d.clock.now();
      const [res] = await conn.query<Result>(multiRow(q.insertSuppressionIgnore, chunk.length), chunk.flatMap(([h, s]) => [h, s.reason, 'mailgun_sync', now]));
      newSuppressions += res.affectedRows;
    });

    // Complaints and unsubscribes revoke marketing consent, unless the contact decided again after Mailgun recorded it.
    const revoke = new Map<string, { list: MailgunList; at: Date }>();
    for (const list of ['complaints', 'unsubscribes'] as const) for (const e of lists[list]) if (!revoke.has(e.address)) revoke.set(e.address, { list, at: e.createdAt });
    let consentRevoked = 0;
    await chunks([...revoke.keys()], 1000, async (emails) => {
      const [contacts] = await conn.query<Row[]>(q.contactsByEmails, [emails]);
      for (const c of contacts) {
        const r = revoke.get(String(c.email))!;
        if (c.consent_state === 'revoked' || (c.consent_at && c.consent_at > r.at)) continue;
        consentRevoked++;
        if (dryRun) continue;
        const id = Number(c.id);
        await d.contacts.recordConsent(conn, id, { state: 'revoked', source: 'import', eventId: `mailgun:${r.list}` }, r.at);
        await d.contacts.addTimeline(conn, id, { kind: 'unsubscribed', detail: { source: 'mailgun_sync', list: r.list } }, r.at);
      }
    });
    return { newSuppressions, consentRevoked };
  }

  /** Our suppressions with a known address that Mailgun's matching list lacks, pushed in batches. */
  async function push(lists: Record<MailgunList, Entry[]>, dryRun: boolean): Promise<{ pushed: Record<MailgunList, number>; skippedHashOnly: number }> {
    const onMailgun = Object.fromEntries(MAILGUN_LISTS.map((l) => [l, new Set(lists[l].map((e) => e.address))])) as Record<MailgunList, Set<string>>;
    const missing: Record<MailgunList, Array<{ address: string; createdAt: Date }>> = { bounces: [], complaints: [], unsubscribes: [] };
    // Hashes of the addresses either side holds; any other suppression here is hash-only (an erased contact).
    const withAddress = new Set(MAILGUN_LISTS.flatMap((l) => lists[l].map((e) => emailHash(e.address))));
    for (let after = 0; ; ) {
      const [rows] = await d.pool.query<Row[]>(q.suppressedContacts, [after, 5000]);
      if (!rows.length) break;
      after = Number(rows[rows.length - 1]!.id);
      for (const r of rows) {
        withAddress.add(emailHash(String(r.email)));
        const list = LIST_OF[String(r.reason)];
        if (list && !onMailgun[list].has(String(r.email))) missing[list].push({ address: String(r.email), createdAt: r.created_at });
      }
    }
    let skippedHashOnly = 0;
    for (let after = ''; ; ) {
      const [rows] = await d.pool.query<Row[]>(q.suppressionHashPage, [after, 10_000]);
      if (!rows.length) break;
      after = String(rows[rows.length - 1]!.email_hash);
      for (const r of rows) if (!withAddress.has(String(r.email_hash))) skippedHashOnly++;
    }
    const pushed: Record<MailgunList, number> = { bounces: 0, complaints: 0, unsubscribes: 0 };
    for (const list of MAILGUN_LISTS) {
      await chunks(missing[list], MAILGUN_BATCH_LIMIT, async (batch) => {
        if (!dryRun) {
          const data = batch.map((m) => ({
            address: m.address,
            created_at: m.createdAt.toUTCString(),
            ...(list === 'bounces' ? { code: 550, error: 'suppressed by Retain' } : list === 'unsubscribes' ? { tags: ['*'] } : {}),
          }));
          try {
            await d.client.create(d.domain, list, data);
          } catch (err) {
            const e = err as { status?: number; message?: string };
            throw new SuppressionSyncError('mailgun_unavailable', `pushing to Mailgun's ${list} failed after ${pushed[list]} of ${missing[list].length}: ${e.status ?? ''} ${String(e.message ?? err).slice(0, 120)}; the pull is applied, run it again to finish the push`);
          }
        }
        pushed[list] += batch.length;
      });
    }
    return { pushed, skippedHashOnly };
  }

  return {
    async run(opts: { dryRun?: boolean } = {}): Promise<SyncSummary> {
      const dryRun = opts.dryRun ?? false;
      const lists = {} as Record<MailgunList, Entry[]>;
      for (const list of MAILGUN_LISTS) lists[list] = await readList(list);
      const applied = dryRun
        ? await d.pool.getConnection().then(async (conn) => {
            try {
              return await applyPull(conn, lists, true);
            } finally {
              conn.release();
            }
          })
        : await withTransaction(d.pool, (conn) => applyPull(conn, lists, false));
      const { pushed, skippedHashOnly } = await push(lists, dryRun);
      return {
        dryRun,
        pulled: { bounces: lists.bounces.length, complaints: lists.complaints.length, unsubscribes: lists.unsubscribes.length },
        ...applied,
        pushed,
        skippedHashOnly,
      };
    },
  };
}

/** The CLI's summary, one line per fact. */
export function formatSyncSummary(s: SyncSummary): string {
  const would = s.dryRun ? ' (dry run: nothing written, nothing sent)' : '';
  return [
    `pulled from Mailgun: bounces ${s.pulled.bounces}, complaints ${s.pulled.complaints}, unsubscribes ${s.pulled.unsubscribes}${would}`,
    `${s.dryRun ? 'would be new' : 'new'} here: ${s.newSuppressions} suppression(s), ${s.consentRevoked} marketing consent(s) revoked`,
    `${s.dryRun ? 'would push' : 'pushed'} to Mailgun: bounces ${s.pushed.bounces}, complaints ${s.pushed.complaints}, unsubscribes ${s.pushed.unsubscribes}`,
    `skipped: ${s.skippedHashOnly} hash-only suppression(s) (erased contacts; we no longer hold the address, so Mailgun cannot be told)`,
  ].join('\n');
}
