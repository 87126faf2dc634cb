import { randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import busboy from 'busboy';

// A local stand-in for Mailgun's HTTP API, for the real mailgun.js client to talk to. It records
// every accepted message, serves the `accepted` events the sidecar's crash recovery asks for, and
// fails on demand (a status code, a hang for timeouts, a dropped connection).

export interface RecordedMessage {
  id: string;
  domain: string;
  receivedAt: number;
  fields: Record<string, string[]>;
  /** First value of a field, e.g. `field('to')`, `field('h:List-Unsubscribe')`. */
  field(name: string): string | undefined;
}

export type Behaviour =
  | { kind: 'status'; status: number; body?: unknown }
  /** Never answer: the client's timeout fires. The message is not recorded. */
  | { kind: 'hang' }
  /** Record the message as accepted, then never answer (an accepted send whose reply is lost). */
  | { kind: 'accept-then-hang' }
  /** Close the socket without answering. */
  | { kind: 'drop' };

export type SuppressionListName = 'bounces' | 'complaints' | 'unsubscribes';
const SUPPRESSION_LISTS: SuppressionListName[] = ['bounces', 'complaints', 'unsubscribes'];

export interface FakeMailgun {
  url: string;
  port: number;
  apiKey: string;
  messages: RecordedMessage[];
  requests: number;
  /** The next n message requests get this behaviour, then normal acceptance resumes. */
  failNext(n: number, behaviour: Behaviour): void;
  /** The fake's clock for event timestamps; tests point it at the sidecar's hand-moved clock. */
  now: () => number;
  /** Called for each message request before it is answered. */
  onMessage: ((m: RecordedMessage | null, req: IncomingMessage) => void) | null;
  /**
   * The domain's suppression lists, as Mailgun's raw JSON items (tests may put odd shapes here).
   * Served sorted by address with Mailgun's paging (`?page=next&address=<last>&limit=`), where the
   * page after the last one is empty; batch creates (a JSON array, at most 1000) upsert by address.
   */
  suppressions: Record<SuppressionListName, Array<Record<string, unknown>>>;
  /** Requests to the suppression endpoints so far (GET and POST). */
  suppressionRequests: number;
  /** The suppression request numbered `at` (1-based, counting from now) and the n-1 after it get this. */
  failSuppressions(at: number, n: number, behaviour: Behaviour): void;
  reset(): void;
  close(): Promise<void>;
}

function parseMultipart(req: IncomingMessage): Promise<Record<string, string[]>> {
  return new Promise((resolve, reject) => {
    const fields: Record<string, string[]> = {};
    const bb = busboy({ headers: req.headers, limits: { fieldSize: 30 * 1024 * 1024 } });
    bb.on('field', (name, value) => (fields[name] ??= []).push(value));
    bb.on('file', (_name, stream) => stream.resume());
    bb.on('close', () => resolve(fields));
    bb.on('error', reject);
    req.pipe(bb);
  });
}

/** Mailgun's batch create: a JSON array of up to 1000 entries, each upserted by address. */
async function createSuppressions(req: IncomingMessage, res: ServerResponse, listName: SuppressionListName, list: Array<Record<string, unknown>>) {
  if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) {
    return json(res, 400, { message: 'the fake takes batch creates as a JSON array only' });
  }
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return json(res, 400, { message: 'invalid JSON' });
  }
  if (!Array.isArray(body) || body.length === 0) return json(res, 400, { message: 'expected a non-empty JSON array' });
  if (body.length > 1000) return json(res, 400, { message: 'Batch size should be less than 1000' });
  if (body.some((e) => typeof e?.address !== 'string' || !e.address.includes('@'))) return json(res, 400, { message: "'address' parameter is not a valid address" });
  for (const entry of body as Array<Record<string, unknown>>) {
    const item: Record<string, unknown> = { address: entry.address, created_at: entry.created_at ?? new Date().toUTCString() };
    if (listName === 'bounces') Object.assign(item, { code: String(entry.code ?? 550), error: entry.error ?? '' });
    if (listName === 'unsubscribes') item.tags = entry.tags ?? (entry.tag ? [entry.tag] : ['*']);
    const at = list.findIndex((i) => i.address === entry.address);
    if (at >= 0) list[at] = item;
    else list.push(item);
  }
  return json(res, 200, { message: `${body.length} addresses have been added to the ${listName} table` });
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
};

export async function startFakeMailgun(opts: { port?: number; apiKey?: string } = {}): Promise<FakeMailgun> {
  const apiKey = opts.apiKey ?? 'key-test-fake';
  const queue: Behaviour[] = [];
  const suppressionFailures = new Map<number, Behaviour>();
  const hanging = new Set<ServerResponse>();
  const expectedAuth = `Basic ${Buffer.from(`api:${apiKey}`).toString('base64')}`;

  const fake: FakeMailgun = {
    url: '',
    port: 0,
    apiKey,
    messages: [],
    requests: 0,
    now: () => Date.now(),
    onMessage: null,
    suppressions: { bounces: [], complaints: [], unsubscribes: [] },
    suppressionRequests: 0,
    failSuppressions(at, n, behaviour) {
      for (let i = 0; i < n; i++) suppressionFailures.set(fake.suppressionRequests + at + i, behaviour);
    },
    failNext(n, behaviour) {
      for (let i = 0; i < n; i++) queue.push(behaviour);
    },
    reset() {
      for (const list of SUPPRESSION_LISTS) fake.suppressions[list].length = 0;
      suppressionFailures.clear();
      fake.suppressionRequests = 0;
      fake.messages.length = 0;
      queue.length = 0;
      fake.requests = 0;
    },
    close: async () => undefined,
  };

  const record = (domain: string, fields: Record<string, string[]>): RecordedMessage => {
    const m: RecordedMessage = {
      id: `<${Date.now()}.${randomBytes(6).toString('hex')}@${domain}>`,
      domain,
      receivedAt: fake.now(),
      fields,
      field: (name) => fields[name]?.[0],
    };
    fake.messages.push(m);
    return m;
  };

  const server = http.createServer(async (req, res) => {
    try {
      if (req.headers.authorization !== expectedAuth) return json(res, 401, { message: 'Invalid private key' });
      const url = new URL(req.url ?? '/', 'http://localhost');
      const send = /^\/v3\/([^/]+)\/messages$/.exec(url.pathname);
      if (send && req.method === 'POST') {
        fake.requests++;
        const fields = await parseMultipart(req);
        const behaviour = queue.shift();
        if (!behaviour) {
          if (!fields.to?.length || !fields.from?.length) return json(res, 400, { message: "'to' parameter is missing" });
          const m = record(send[1]!, fields);
          fake.onMessage?.(m, req);
          return json(res, 200, { id: m.id, message: 'Queued. Thank you.' });
        }
        switch (behaviour.kind) {
          case 'status':
            fake.onMessage?.(null, req);
            return json(res, behaviour.status, behaviour.body ?? { message: `fake failure ${behaviour.status}` });
          case 'hang':
            fake.onMessage?.(null, req);
            hanging.add(res);
            return;
          case 'accept-then-hang': {
            const m = record(send[1]!, fields);
            fake.onMessage?.(m, req);
            hanging.add(res);
            return;
          }
          case 'drop':
            fake.onMessage?.(null, req);
            req.socket.destroy();
            return;
        }
      }
      const suppression = /^\/v3\/([^/]+)\/(bounces|complaints|unsubscribes)\/?$/.exec(url.pathname);
      if (suppression && (req.method === 'GET' || req.method === 'POST')) {
        const n = ++fake.suppressionRequests;
        const failure = suppressionFailures.get(n);
        suppressionFailures.delete(n);
        if (failure?.kind === 'status') return json(res, failure.status, failure.body ?? { message: `fake failure ${failure.status}` });
        if (failure?.kind === 'drop') return void req.socket.destroy();
        if (failure) return void hanging.add(res);
        const listName = suppression[2] as SuppressionListName;
        const list = fake.suppressions[listName];
        if (req.method === 'POST') return createSuppressions(req, res, listName, list);
        const limit = Number(url.searchParams.get('limit') ?? 100);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return json(res, 400, { message: 'Invalid limit: must be between 1 and 1000' });
        const sorted = [...list].sort((a, b) => String(a.address).localeCompare(String(b.address)));
        const page = url.searchParams.get('page');
        const pivot = url.searchParams.get('address') ?? '';
        if (page && page !== 'next') return json(res, 400, { message: 'the fake pages forward only (page=next)' });
        const items = sorted.filter((i) => !page || String(i.address).localeCompare(pivot) > 0).slice(0, limit);
        const base = `${fake.url}/v3/${suppression[1]}/${listName}`;
        const lastAddress = items.length ? String(items[items.length - 1]!.address) : pivot;
        const q = (p: string, address?: string) => `${base}?page=${p}${address !== undefined ? `&address=${encodeURIComponent(address)}` : ''}&limit=${limit}`;
        return json(res, 200, {
          items,
          paging: { first: q('first'), last: q('last'), next: q('next', lastAddress), previous: q('previous', items.length ? String(items[0]!.address) : pivot) },
        });
      }
      const events = /^\/v3\/([^/]+)\/events$/.exec(url.pathname);
      if (events && req.method === 'GET') {
        const recipient = url.searchParams.get('recipient');
        const begin = Number(url.searchParams.get('begin') ?? 0);
        const items = fake.messages
          .filter((m) => m.domain === events[1] && (!recipient || m.field('to') === recipient) && m.receivedAt / 1000 >= begin)
          .map((m) => ({
            id: randomBytes(8).toString('hex'),
            event: 'accepted',
            timestamp: m.receivedAt / 1000,
            recipient: m.field('to'),
            'user-variables': Object.fromEntries(Object.entries(m.fields).filter(([k]) => k.startsWith('v:')).map(([k, v]) => [k.slice(2), v[0]])),
            message: { headers: { 'message-id': m.id.replace(/^<|>$/g, ''), to: m.field('to'), from: m.field('from'), subject: m.field('subject') } },
          }));
        const base = `${fake.url}/v3/${events[1]}/events`;
        return json(res, 200, { items, paging: { next: `${base}/next-page`, previous: `${base}/prev-page`, first: base, last: base } });
      }
      if (/\/events\/(next|prev)-page$/.test(url.pathname)) return json(res, 200, { items: [], paging: {} });
      json(res, 404, { message: 'not found in fake Mailgun' });
    } catch {
      if (!res.headersSent) json(res, 500, { message: 'fake Mailgun error' });
    }
  });

  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  fake.port = port;
  fake.url = `http://127.0.0.1:${port}`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      for (const res of hanging) res.socket?.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}

// `npx tsx tests/fake-mailgun.ts --port 9025` runs it on its own (for the benchmark and by hand).
if (require.main === module) {
  const portArg = process.argv.indexOf('--port');
  const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 9025;
  void startFakeMailgun({ port, apiKey: process.env.MAILGUN_API_KEY }).then((f) => {
    process.stdout.write(`fake Mailgun on ${f.url} (key ${f.apiKey})\n`);
    setInterval(() => process.stdout.write(`messages: ${f.messages.length}\n`), 10_000).unref();
  });
}
