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

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
};

export async function startFakeMailgun(opts: { port?: number; apiKey?: string } = {}): Promise<FakeMailgun> {
  const apiKey = opts.apiKey ?? 'key-test-fake';
  const queue: Behaviour[] = [];
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
    failNext(n, behaviour) {
      for (let i = 0; i < n; i++) queue.push(behaviour);
    },
    reset() {
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
