import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { OutgoingMessage, Transport } from './transport';

// Without Mailgun credentials, messages go to a folder of .eml files a person can open in any
// mail client, and to the browsable /outbox page. Each file is written under a temporary name and
// renamed, so a file that exists is always whole: that is what `findSubmitted` relies on.

const encodeHeader = (value: string) => (/^[\x20-\x7e]*$/.test(value) ? value : `=?UTF-8?B?${Buffer.from(value).toString('base64')}?=`);
const fileName = (messageId: number) => `message-${String(messageId).padStart(8, '0')}.eml`;

export interface OutboxEntry {
  messageId: number;
  providerId: string;
  date: string;
  from: string;
  to: string;
  subject: string;
  tags: string[];
  headers: Record<string, string>;
  html: string;
  text: string;
}

/** Newest first; only messages whose .eml was written in full. */
export async function listOutbox(dir: string, limit = 200): Promise<OutboxEntry[]> {
  let files: string[];
  try {
    files = await readdir(dir);
  } catch {
    return [];
  }
  const ids = files.filter((f) => /^message-\d+\.eml$/.test(f)).sort().reverse().slice(0, limit);
  const out: OutboxEntry[] = [];
  for (const f of ids) {
    const entry = await readOutboxEntry(dir, Number(/\d+/.exec(f)![0]));
    if (entry) out.push(entry);
  }
  return out;
}

export async function readOutboxEntry(dir: string, messageId: number): Promise<OutboxEntry | null> {
  try {
    return JSON.parse(await readFile(path.join(dir, fileName(messageId).replace(/\.eml$/, '.json')), 'utf8')) as OutboxEntry;
  } catch {
    return null;
  }
}

export function toEml(m: OutgoingMessage, providerId: string, date: Date): string {
  const boundary = `retain-${randomBytes(8).toString('hex')}`;
  const headers = [
    `Message-ID: <${providerId}>`,
    `Date: ${date.toUTCString()}`,
    `From: ${encodeHeader(m.from)}`,
    `To: ${m.to}`,
    `Subject: ${encodeHeader(m.subject)}`,
    'MIME-Version: 1.0',
    `X-Retain-Message-Id: ${m.messageId}`,
    `X-Retain-Tags: ${m.tags.join(', ')}`,
    ...Object.entries(m.headers).map(([k, v]) => `${k}: ${v}`),
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
  ];
  const part = (type: string, body: string) =>
    [`--${boundary}`, `Content-Type: ${type}; charset=utf-8`, 'Content-Transfer-Encoding: base64', '', Buffer.from(body).toString('base64').replace(/.{76}/g, '$&\r\n')].join('\r\n');
  return [...headers, '', part('text/plain', m.text), part('text/html', m.html), `--${boundary}--`, ''].join('\r\n');
}

export function createOutboxTransport(dir: string, now: () => Date = () => new Date()): Transport & { dir: string } {
  let ready: Promise<unknown> | null = null;
  return {
    name: 'outbox',
    dir,

    async send(m) {
      ready ??= mkdir(dir, { recursive: true });
      await ready;
      const providerId = `${m.messageId}.${randomBytes(6).toString('hex')}@outbox.retain.local`;
      const target = path.join(dir, fileName(m.messageId));
      const tmp = `${target}.${process.pid}.tmp`;
      const at = now();
      // The JSON beside it feeds the browsable /outbox page; the .eml is written last.
      const summary: OutboxEntry = { messageId: m.messageId, providerId, date: at.toISOString(), from: m.from, to: m.to, subject: m.subject, tags: m.tags, headers: m.headers, html: m.html, text: m.text };
      await writeFile(target.replace(/\.eml$/, '.json'), JSON.stringify(summary));
      await writeFile(tmp, toEml(m, providerId, at));
      await rename(tmp, target);
      return { providerId };
    },

    async findSubmitted({ messageId }) {
      try {
        const files = await readdir(dir);
        return files.includes(fileName(messageId)) ? `${messageId}@outbox.retain.local` : null;
      } catch {
        return null;
      }
    },
  };
}
