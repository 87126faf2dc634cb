import { serverInfo, type Pool } from '../db/pool';
import type { Row } from '../db/sql';
import type { EventProcessor } from '../intake/processor';
import { intakeQueries } from '../intake/queries';
import type { MessageStore } from '../mail/messages';
import type { JobStore } from '../schedule/jobs';
import { VERSION } from '../paths';


export type StatusService = ReturnType<typeof createStatusService>;

export function createStatusService(d: {
  pool: Pool; prefix: string; transport: string; jobs: JobStore; messages: MessageStore; processor: EventProcessor;
  /** The shop reader's counted skips of bad shop data, by kind. */
  shopSkips: () => Record<string, number>;
}) {
  const q = intakeQueries(d.prefix);
  return {
    /** Liveness for the container and the plugin's "test connection": is the database answering? */
    async health(): Promise<{ status: 'ok' | 'degraded'; version: string; transport: string }> {
      try {
        await d.pool.query('SELECT 1');
        return { status: 'ok', version: VERSION, transport: d.transport };
      } catch {
        return { status: 'degraded', version: VERSION, transport: d.transport };
      }
    },

    async details() {
      const [server, jobs, messages, pendingEvents] = await Promise.all([
        serverInfo(d.pool), d.jobs.counts(), d.messages.counts(d.pool), d.processor.pendingCount(),
      ]);
      return {
        version: VERSION, transport: d.transport, database: { version: server.version, claim: d.jobs.claimMode }, jobs, messages, events: { pending: pendingEvents },
        shop: { skipped: d.shopSkips() },
      };
    },

    async cart(cartKey: string) {
      const [rows] = await d.pool.query<Row[]>(q.cartByKey, [cartKey]);
      const r = rows[0];
      if (!r) return null;
      return { cart_key: r.cart_key, email: r.email ?? null, items: JSON.parse(r.items), currency: r.currency, total: r.total, updated_at: r.updated_at };
    },
  };
}
