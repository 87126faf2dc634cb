import { Router } from 'express';
import type { Clock } from '../clock';
import { parseReportRange, type ReportService } from '../reports/reports';
import { rawBody, requireSignature } from './signed';

export function reportsRouter(d: { reports: ReportService; secret: string; clock: Clock }): Router {
  const r = Router();
  r.get('/v1/admin/reports', rawBody, requireSignature(d.secret, d.clock), async (req, res) => {
    const range = parseReportRange(req.query as Record<string, unknown>);
    res.json(await d.reports.build(range));
  });
  return r;
}
