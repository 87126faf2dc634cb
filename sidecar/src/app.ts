import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import type { Clock } from './clock';
import type { PrivacyService } from './contacts/privacy';
import type { UnsubscribeService } from './engagement/unsubscribe';
import type { FeedbackService } from './engagement/feedback';
import type { FlowRegistry } from './flows/registry';
import type { StayService } from './engagement/stay';
import type { WebhookService } from './engagement/webhooks';
import type { PreferenceService } from './engagement/preferences';
import { contactsRouter } from './http/contacts';
import { templatesRouter } from './http/templates';
import { errorHandler, notFoundHandler } from './http/errors';
import { feedbackRouter } from './http/feedback';
import { flowsRouter } from './http/flows';
import { stayRouter } from './http/stay';
import { eventsRouter } from './http/events';
import { outboxRouter } from './http/outbox';
import { statusRouter } from './http/status';
import { unsubscribeRouter } from './http/unsubscribe';
import { answerMailgunWebhooksFirst, webhooksRouter } from './http/webhooks';
import { preferencesRouter } from './http/preferences';
import { reportsRouter } from './http/reports';
import { deliverabilityRouter } from './http/deliverability';
import type { IntakeService } from './intake/intake';
import type { Logger } from './logger';
import type { StatusService } from './ops/status';
import type { PreviewService } from './render/preview';
import type { TemplateStore } from './render/template-store';
import type { ReportService } from './reports/reports';
import type { DeliverabilityService } from './engagement/deliverability';

export interface AppDeps {
  log: Logger;
  clock: Clock;
  secret: string;
  intake: IntakeService;
  unsubscribe: UnsubscribeService;
  status: StatusService;
  privacy: PrivacyService;
  feedback: FeedbackService;
  flowRegistry: FlowRegistry;
  stay: StayService;
  reports: ReportService;
  deliverability: DeliverabilityService;
  previews: PreviewService;
  templates: TemplateStore;
  webhooks: WebhookService;
  preferences: PreferenceService;
  /** Set when the outbox transport is in use: serves the browsable /outbox pages. */
  outboxDir: string | null;
}

/** Builds the HTTP app from its dependencies; it never listens, so supertest can drive it. */
export function createApp(d: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  // Mailgun's webhooks come in thousands a second: a lean handler takes the plain case before
  // Express and its middleware; anything else falls through to webhooksRouter below.
  answerMailgunWebhooksFirst(app, d);
  app.use((req, res, next) => {
    const id = randomUUID();
    const log = d.log.child({ req: id });
    (req as unknown as { log: Logger }).log = log;
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      // The route pattern, not the URL: URLs carry tokens.
      const route = req.route?.path ?? 'unmatched';
      log.debug({ method: req.method, route, status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 }, 'request');
    });
    next();
  });
  app.use(eventsRouter(d));
  app.use(statusRouter(d));
  app.use(unsubscribeRouter(d));
  app.use(feedbackRouter(d));
  app.use(flowsRouter(d));
  app.use(stayRouter(d));
  app.use(contactsRouter(d));
  app.use(templatesRouter(d));
  app.use(webhooksRouter(d));
  app.use(preferencesRouter(d));
  app.use(reportsRouter(d));
  app.use(deliverabilityRouter(d));
  if (d.outboxDir) app.use(outboxRouter(d.outboxDir));
  app.use(notFoundHandler);
  app.use(errorHandler(d.log));
  return app;
}
