import path from 'node:path';
import type { Express } from 'express';
import { createApp } from './app';
import { systemClock, type Clock } from './clock';
import { readFlowsFile, type Config } from './config';
import { contactQueries } from './contacts/queries';
import { createContactStore } from './contacts/contacts';
import { createPrivacyService, type PrivacyService } from './contacts/privacy';
import { createShopPool, createStatePool, serverInfo, type Pool } from './db/pool';
import { migrate } from './db/migrate';
import { shopMigrations, stateMigrations } from './db/migrations';
import { verifyQueries } from './db/sql';
import { createUnsubscribeService } from './engagement/unsubscribe';
import { engagementQueries } from './engagement/queries';
import { createWebhookService } from './engagement/webhooks';
import { createDeliverabilityService, type DeliverabilityService } from './engagement/deliverability';
import { createSuppressionSync, mailgunSuppressionClient, type SuppressionSync } from './engagement/suppression-sync';
import { engagementChecks } from './engagement/hygiene';
import { createPreferenceService } from './engagement/preferences';
import { createFeedbackService } from './engagement/feedback';
import { createStayService } from './engagement/stay';
import { applyFlowsFile, defaultFlows, type FlowDefinition } from './flows/definitions';
import { createFlowEngine, SEND_JOB } from './flows/flows';
import { coreChecks, createSendGate } from './flows/gate';
import { exitChecks, frequencyCap, quietHours, unengagedCheck, type SendingRules } from './flows/rules';
import { createTriggers } from './flows/triggers';
import { createCouponClient } from './flows/coupons';
import { createStepData } from './flows/step-data';
import { createScans, SCAN_JOB, scanJobHandler, type Scans } from './flows/scans';
import { createFlowRegistry } from './flows/registry';
import { flowQueries } from './flows/queries';
import { createEventStore } from './intake/event-store';
import { createIntakeService } from './intake/intake';
import { createEventProcessor } from './intake/processor';
import { intakeQueries } from './intake/queries';
import type { Logger } from './logger';
import { createMailgunTransport } from './mail/mailgun-transport';
import { createMessageStore } from './mail/messages';
import { createOutboxTransport } from './mail/outbox-transport';
import { messageQueries } from './mail/queries';
import { createSender } from './mail/sender';
import type { Transport } from './mail/transport';
import { createStatusService, type StatusService } from './ops/status';
import { TEMPLATES_DIR } from './paths';
import { createContextBuilder } from './render/context';
import { createRenderPool } from './render/render-pool';
import { createRenderer } from './render/renderer';
import { createPreviewService } from './render/preview';
import { templateQueries } from './render/queries';
import { createTemplateStore } from './render/template-store';
import { createJobStore, type ClaimMode } from './schedule/jobs';
import { jobQueries } from './schedule/queries';
import { Runner } from './schedule/runner';
import { createShopReader, type ShopReader } from './shop/reader';
import { createOrderRecorder } from './reports/attribution';
import { reportQueries } from './reports/queries';
import { createReportService, type ReportService } from './reports/reports';


export interface BuildOptions {
  clock?: Clock;
  /** Forces a claim mode (tests exercise both); by default chosen from the server version. */
  claimMode?: ClaimMode;
  claimTimeoutMs?: number;
  workerId?: string;
  templatesDir?: string;
}

export interface Sidecar {
  app: Express;
  runner: Runner;
  statePool: Pool;
  shopPool: Pool;
  shop: ShopReader;
  transport: Transport;
  status: StatusService;
  flows: () => FlowDefinition[];
  scans: Scans;
  privacy: PrivacyService;
  reports: ReportService;
  deliverability: DeliverabilityService;
  /** `npx retain suppressions sync`; null while Mailgun is not configured. */
  suppressionSync: SuppressionSync | null;
  /** Applies received events now (tests and the CLI; the runner does it on every tick). */
  processEvents: () => Promise<number>;
  close(): Promise<void>;
}

export function loadFlowDefinitions(config: Config): FlowDefinition[] {
  return config.flowsFile ? applyFlowsFile(readFlowsFile(config.flowsFile)) : defaultFlows;
}

/**
 * The composition root: every pool, client, clock and logger is made once here and passed in.
 * Boot fails fast on a bad flows file, a template that does not parse or SQL that does not prepare.
 */
export async function buildSidecar(config: Config, log: Logger, opts: BuildOptions = {}): Promise<Sidecar> {
  const clock = opts.clock ?? systemClock;
  const prefix = config.tablePrefix;
  const flowDefinitions = loadFlowDefinitions(config);

  const templatesDir = opts.templatesDir ?? TEMPLATES_DIR;
  const renderer = config.renderThreads > 0 ? createRenderPool(templatesDir, { size: config.renderThreads, log }) : { ...createRenderer(templatesDir), close: async () => {} };
  renderer.preload(flowDefinitions.flatMap((f) => f.steps.map((s) => s.template)));
  for (const f of flowDefinitions) {
    for (const v of f.steps.flatMap((s) => s.variants ?? [])) {
      const problem = v.subject ? renderer.subjectProblem(v.subject) : null;
      if (problem) throw new Error(`flow ${f.id}, variant ${v.id}: the subject does not parse: ${problem}`);
    }
  }

  const statePool = createStatePool(config.stateDbUrl);
  const shopPool = createShopPool(config.shopDbUrl);
  try {
    await migrate(statePool, prefix, log, stateMigrations);
    await migrate(shopPool, prefix, log, shopMigrations);
    const server = await serverInfo(statePool);
    const claimMode: ClaimMode = opts.claimMode ?? (server.skipLocked ? 'skip-locked' : 'update');
    await verifyQueries(statePool, {
      contacts: contactQueries(prefix), jobs: jobQueries(prefix), flows: flowQueries(prefix),
      intake: intakeQueries(prefix), messages: messageQueries(prefix), engagement: engagementQueries(prefix), reports: reportQueries(prefix),
      templates: templateQueries(prefix),
    });
    const shop = createShopReader({
      pool: shopPool, prefix, clock, log,
      options: { birthdayMetaKey: config.birthdayMetaKey, extraPaidStatuses: config.extraPaidStatuses },
    });
    await shop.verify();
    log.info({ database: server.version, claim: claimMode }, 'database ready');

    const transport: Transport = config.mailgun ? createMailgunTransport(config.mailgun, log) : createOutboxTransport(path.resolve(config.outboxDir), () => clock.now());
    if (!config.mailgun) log.warn({ outbox: path.resolve(config.outboxDir) }, 'MAILGUN_API_KEY is not set: emails go to the local outbox, not to recipients');

    const flowRegistry = createFlowRegistry({
      pool: statePool, prefix, clock, base: flowDefinitions,
      // Preloading doubles as the check: the template must exist and parse.
      templateExists: (name) => {
        try {
          renderer.preload([name]);
          return true;
        } catch {
          return false;
        }
      },
      subjectProblem: (subject) => renderer.subjectProblem(subject),
    });
    await flowRegistry.reload();
    const flows = flowRegistry.flows;
    const templates = createTemplateStore({ pool: statePool, prefix, clock, log, renderer, flows });
    await templates.refresh();
    const contacts = createContactStore(prefix, clock);
    const jobs = createJobStore(statePool, prefix, clock, claimMode);
    const messages = createMessageStore(prefix, clock);
    const engine = createFlowEngine({ prefix, clock, jobs, contacts, flows });
    const paidStatuses = ['processing', 'completed', ...config.extraPaidStatuses];
    const triggers = createTriggers({ engine, clock, shop, paidStatuses });
    const recordOrderEvent = createOrderRecorder({ prefix, clock, log, windowMs: config.attributionWindowMs });
    const processor = createEventProcessor({ pool: statePool, prefix, clock, log, contacts, triggers, claimMode, recordOrderEvent, doubleOptIn: config.doubleOptIn });
    const sendingRules: SendingRules = { caps: config.frequencyCaps, quietHours: config.quietHours };
    const rules = () => sendingRules;
    // Whether the email may go at all comes before when it may go: a refusal never waits for
    // the morning first.
    const gate = createSendGate([
      ...coreChecks(contacts),
      ...engagementChecks({ prefix, skipRoleAddresses: config.skipRoleAddresses }),
      unengagedCheck(),
      exitChecks({ shop, engine, paidStatuses }),
      frequencyCap({ engine, clock, rules }),
      quietHours({ clock, shop, rules }),
    ]);

    const shopSettings = () => shop.settings();
    const preferences = createPreferenceService({ pool: statePool, prefix, clock, contacts, secret: config.secret, publicUrl: config.publicUrl });
    const coupons = createCouponClient({ secret: config.secret, clock });
    const stepData = createStepData({ pool: statePool, engine, shop, clock, secret: config.secret, publicUrl: config.publicUrl, coupons });
    const sender = createSender({
      pool: statePool, clock, contacts, flows: engine, messages, renderer, transport, shopSettings,
      gate, jobs,
      context: createContextBuilder({ shopSettings, stepData, preferencesUrl: (id) => preferences.url(id) }),
      secret: config.secret, publicUrl: config.publicUrl, from: config.from, mailDomain: config.mailgun?.domain ?? null,
    });

    const scans = createScans({ pool: statePool, prefix, clock, log, engine, shop, jobs });

    const webhooks = createWebhookService({
      pool: statePool, prefix, clock, log, contacts, claimMode, signingKey: config.mailgunWebhookSigningKey,
      softBounceLimit: config.softBounceLimit, softBounceWindowMs: config.softBounceWindowMs, onStored: () => runner.wake(),
    });

    const runner = new Runner({
      jobs, clock, log, concurrency: config.runnerConcurrency, pollSeconds: config.pollSeconds,
      claimTimeoutMs: opts.claimTimeoutMs ?? config.claimTimeoutMs, workerId: opts.workerId,
      handlers: { [SEND_JOB]: (job, jobLog) => sender.handle(job, jobLog), [SCAN_JOB]: scanJobHandler(scans) },
      beforeTick: async () => {
        await flowRegistry.reload();
        await templates.refresh();
        await processor.processPending();
        await webhooks.processPending();
      },
    });

    const eventStore = createEventStore(statePool, prefix, clock);
    const intake = createIntakeService({ store: eventStore, onStored: () => runner.wake() });
    const unsubscribe = createUnsubscribeService({ pool: statePool, clock, contacts, secret: config.secret });
    const status = createStatusService({ pool: statePool, prefix, transport: transport.name, jobs, messages, processor, shopSkips: () => shop.stats() });
    const privacy = createPrivacyService({ pool: statePool, clock, contacts });
    const feedback = createFeedbackService({ pool: statePool, clock, contacts, secret: config.secret });
    const stay = createStayService({ pool: statePool, clock, contacts, engine, secret: config.secret });
    const previews = createPreviewService({ pool: statePool, contacts, shop, renderer, flows, transport, publicUrl: config.publicUrl, from: config.from, mailDomain: config.mailgun?.domain ?? null });
    const reports = createReportService({ pool: statePool, prefix, settings: () => shop.settings(), windowMs: config.attributionWindowMs, paidStatuses, sendJobKind: SEND_JOB, flows });
    const deliverability = createDeliverabilityService({ pool: statePool, prefix, clock, settings: () => shop.settings() });
    const suppressionSync = config.mailgun
      ? createSuppressionSync({ pool: statePool, prefix, clock, contacts, client: mailgunSuppressionClient(config.mailgun), domain: config.mailgun.domain })
      : null;
    const app = createApp({ log, clock, secret: config.secret, reports, deliverability, intake, unsubscribe, status, privacy, feedback, stay, flowRegistry, webhooks, preferences, previews, templates, outboxDir: config.mailgun ? null : path.resolve(config.outboxDir) });

    return {
      app, runner, statePool, shopPool, shop, transport, status, flows, scans, privacy, reports, deliverability, suppressionSync,
      processEvents: async () => (await processor.processPending()) + (await webhooks.processPending()),
      async close() {
        await runner.stop();
        await Promise.all([statePool.end(), shopPool.end(), renderer.close()]);
      },
    };
  } catch (err) {
    await Promise.all([statePool.end(), shopPool.end(), renderer.close()]).catch(() => undefined);
    throw err;
  }
}
