import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { z } from 'zod';

// The only file that reads process.env. Every key is checked at once so an operator sees all
// mistakes in one boot, and the result is frozen so nothing can change it afterwards.

const mysqlUrl = z.string().url().refine((u) => /^mysql:\/\//.test(u), 'must start with mysql://');
const optional = <T extends z.ZodTypeAny>(schema: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

// `z.coerce.boolean()` would read "false" as true.
const flag = (fallback: boolean) =>
  z.preprocess((v) => (v === '' || v === undefined ? String(fallback) : String(v).toLowerCase()), z.enum(['true', 'false', '1', '0', 'yes', 'no'], 'true or false'))
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

const envSchema = z
  .object({
    RETAIN_SHOP_DB_URL: mysqlUrl,
    RETAIN_STATE_DB_URL: optional(mysqlUrl),
    RETAIN_TABLE_PREFIX: z.string().regex(/^[A-Za-z0-9_]{1,20}$/, 'letters, digits and _ only').default('wp_'),
    RETAIN_SECRET: z.string().min(32, 'at least 32 characters (openssl rand -hex 32)'),
    RETAIN_PUBLIC_URL: z.string().url().transform((u) => u.replace(/\/+$/, '')),
    PORT: z.coerce.number().int().min(1).max(65535).default(8787),
    HOST: z.string().default('0.0.0.0'),
    MAILGUN_API_KEY: optional(z.string().min(1)),
    MAILGUN_DOMAIN: optional(z.string().regex(/^[A-Za-z0-9.-]+$/, 'a domain name such as mg.example.com')),
    MAILGUN_URL: z.string().url().default('https://api.mailgun.net'),
    MAILGUN_WEBHOOK_SIGNING_KEY: optional(z.string().min(1)),
    MAILGUN_TIMEOUT_MS: z.coerce.number().int().min(100).default(15000),
    RETAIN_FROM: optional(z.string().min(3)),
    RETAIN_FLOWS_FILE: optional(z.string()),
    RETAIN_OUTBOX_DIR: z.string().default('.retain/outbox'),
    RETAIN_BIRTHDAY_META_KEY: z.string().regex(/^[A-Za-z0-9_-]{1,191}$/, 'a usermeta key').default('retain_birthday'),
    RETAIN_EXTRA_PAID_STATUSES: z
      .string()
      .default('')
      .transform((v) => v.split(',').map((s) => s.trim().replace(/^wc-/, '')).filter(Boolean))
      .pipe(z.array(z.string().regex(/^[a-z0-9_-]{1,40}$/, 'order statuses such as on-hold'))),
    RETAIN_FREQUENCY_CAP: z
      .string()
      .default('1/16h,3/7d')
      .transform((v, ctx) => {
        if (v.trim() === 'off') return [];
        const caps = v.split(',').map((part) => {
          const m = /^\s*(\d+)\s*\/\s*(\d+)\s*([hd])\s*$/.exec(part);
          if (!m) ctx.addIssue({ code: 'custom', message: 'like "1/16h,3/7d" (emails per window), or "off"' });
          return m ? { count: Number(m[1]), windowMs: Number(m[2]) * (m[3] === 'h' ? 3_600_000 : 86_400_000) } : { count: 0, windowMs: 0 };
        });
        return caps;
      }),
    RETAIN_QUIET_HOURS: z
      .string()
      .default('21:00-08:00')
      .transform((v, ctx) => {
        if (v.trim() === 'off') return null;
        const m = /^\s*(\d{1,2}):00\s*-\s*(\d{1,2}):00\s*$/.exec(v);
        if (!m || Number(m[1]) > 23 || Number(m[2]) > 23 || m[1] === m[2]) {
          ctx.addIssue({ code: 'custom', message: 'whole hours like "21:00-08:00", or "off"' });
          return null;
        }
        return [Number(m[1]), Number(m[2])] as [number, number];
      }),
    RETAIN_RUNNER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
    // Threads that render emails; "auto" is one per core (at most 4), 0 renders on the main thread.
    RETAIN_RENDER_THREADS: z.preprocess((v) => (v === '' || v === undefined || v === 'auto' ? Math.min(4, availableParallelism()) : v), z.coerce.number().int().min(0).max(32)),
    RETAIN_POLL_SECONDS: z.coerce.number().min(1).max(300).default(2),
    RETAIN_CLAIM_TIMEOUT_SECONDS: z.coerce.number().min(1).max(86_400).default(600),
    RETAIN_SKIP_ROLE_ADDRESSES: flag(true),
    RETAIN_CART_REMINDERS_AS: z.enum(['marketing', 'service']).default('marketing'),
    RETAIN_DOUBLE_OPT_IN: flag(false),
    RETAIN_SOFT_BOUNCE_LIMIT: z.coerce.number().int().min(1).max(100).default(3),
    RETAIN_SOFT_BOUNCE_WINDOW_HOURS: z.coerce.number().min(1).max(24 * 30).default(72),
    RETAIN_ATTRIBUTION_DAYS: z.coerce.number().min(0.5).max(90).default(5),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  });

export type Env = z.infer<typeof envSchema>;

/** Every variable the sidecar reads (the compose file and .env.example are checked against it). */
export const ENV_KEYS = Object.keys(envSchema.shape);

export interface Config {
  shopDbUrl: string;
  stateDbUrl: string;
  tablePrefix: string;
  secret: string;
  publicUrl: string;
  port: number;
  host: string;
  mailgun: { apiKey: string; domain: string; url: string; timeoutMs: number } | null;
  mailgunWebhookSigningKey: string | null;
  from: string | null;
  flowsFile: string | null;
  outboxDir: string;
  /** Usermeta key holding customers' birthdays (Y-m-d); shops that collect them with another plugin name its key. */
  birthdayMetaKey: string;
  /** Order statuses counted as paid besides processing and completed (e.g. on-hold for bank transfers). */
  extraPaidStatuses: string[];
  /** At most `count` marketing emails per contact in any `windowMs`. */
  frequencyCaps: Array<{ count: number; windowMs: number }>;
  /** Local hours [start, end) with no sending, or null. */
  quietHours: [number, number] | null;
  runnerConcurrency: number;
  renderThreads: number;
  pollSeconds: number;
  /** A job claimed longer ago than this is presumed orphaned by a crashed runner and freed. */
  claimTimeoutMs: number;
  /** Skip marketing email to role addresses (info@, admin@, noreply@…). */
  skipRoleAddresses: boolean;
  /** Whether cart and checkout reminders need marketing consent or count as service email. */
  cartRemindersAs: 'marketing' | 'service';
  /** Sign-ups stay `pending` until the address confirms through a signed link. */
  doubleOptIn: boolean;
  /** This many temporary failures for one address within the window suppress it. */
  softBounceLimit: number;
  softBounceWindowMs: number;
  /** An order counts for the last Retain email the contact clicked within this many days before it. */
  attributionWindowMs: number;
  logLevel: Env['LOG_LEVEL'];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Readonly<Config> {
  const parsed = envSchema.safeParse(env);
  const problems: string[] = [];
  if (!parsed.success) {
    const say = (i: z.core.$ZodIssue) => (i.code === 'invalid_type' && /received undefined/.test(i.message) ? 'required, not set' : i.message);
    problems.push(...parsed.error.issues.map((i) => `${i.path.join('.') || '(environment)'}: ${say(i)}`));
  }
  // Checked beside the schema, not inside it, so it is reported together with every other problem.
  if (env.MAILGUN_API_KEY && !env.MAILGUN_DOMAIN) problems.push('MAILGUN_DOMAIN: required when MAILGUN_API_KEY is set');
  if (!parsed.success || problems.length) throw new ConfigError(problems);
  const e = parsed.data;
  return Object.freeze({
    shopDbUrl: e.RETAIN_SHOP_DB_URL,
    stateDbUrl: e.RETAIN_STATE_DB_URL ?? e.RETAIN_SHOP_DB_URL,
    tablePrefix: e.RETAIN_TABLE_PREFIX,
    secret: e.RETAIN_SECRET,
    publicUrl: e.RETAIN_PUBLIC_URL,
    port: e.PORT,
    host: e.HOST,
    mailgun: e.MAILGUN_API_KEY
      ? Object.freeze({ apiKey: e.MAILGUN_API_KEY, domain: e.MAILGUN_DOMAIN!, url: e.MAILGUN_URL, timeoutMs: e.MAILGUN_TIMEOUT_MS })
      : null,
    mailgunWebhookSigningKey: e.MAILGUN_WEBHOOK_SIGNING_KEY ?? null,
    from: e.RETAIN_FROM ?? null,
    flowsFile: e.RETAIN_FLOWS_FILE ?? null,
    outboxDir: e.RETAIN_OUTBOX_DIR,
    birthdayMetaKey: e.RETAIN_BIRTHDAY_META_KEY,
    extraPaidStatuses: Object.freeze([...e.RETAIN_EXTRA_PAID_STATUSES]) as string[],
    frequencyCaps: e.RETAIN_FREQUENCY_CAP,
    quietHours: e.RETAIN_QUIET_HOURS,
    runnerConcurrency: e.RETAIN_RUNNER_CONCURRENCY,
    renderThreads: e.RETAIN_RENDER_THREADS,
    pollSeconds: e.RETAIN_POLL_SECONDS,
    claimTimeoutMs: e.RETAIN_CLAIM_TIMEOUT_SECONDS * 1000,
    skipRoleAddresses: e.RETAIN_SKIP_ROLE_ADDRESSES,
    cartRemindersAs: e.RETAIN_CART_REMINDERS_AS,
    doubleOptIn: e.RETAIN_DOUBLE_OPT_IN,
    softBounceLimit: e.RETAIN_SOFT_BOUNCE_LIMIT,
    softBounceWindowMs: e.RETAIN_SOFT_BOUNCE_WINDOW_HOURS * 3_600_000,
    attributionWindowMs: e.RETAIN_ATTRIBUTION_DAYS * 86_400_000,
    logLevel: e.LOG_LEVEL,
  });
}

/** Reads RETAIN_FLOWS_FILE's text; parsing and validation belong to the flows module. */
export function readFlowsFile(path: string): string {
  return readFileSync(path, 'utf8');
}
