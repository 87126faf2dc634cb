import { METRICS, type Metrics, type Report } from './reports';

// The CLI's view of a report: one row per step and day, a total row per step, and a grand total.
// The table and the CSV carry the same rows and columns.

export const COLUMNS = ['date', 'flow', 'step', ...METRICS] as const;

export function reportRows(report: Report): string[][] {
  const row = (date: string, flow: string, step: string, m: Metrics) => [date, flow, step, ...METRICS.map((k) => String(m[k]))];
  const rows: string[][] = [];
  for (const s of report.steps) {
    for (const d of s.days) rows.push(row(d.date, s.flow, String(s.step), d));
    rows.push(row('total', s.flow, String(s.step), s.total));
  }
  rows.push(row('total', 'all', '', report.total));
  return rows;
}

const csvCell = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

export function toCsv(report: Report): string {
  return [COLUMNS.join(','), ...reportRows(report).map((r) => r.map(csvCell).join(','))].join('\r\n') + '\r\n';
}

export function toTable(report: Report): string {
  const rows = [[...COLUMNS], ...reportRows(report)];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  // Text left, figures right.
  const line = (r: string[]) => r.map((v, i) => (i < 2 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ').trimEnd();
  const head = `${report.from} … ${report.to} (${report.timezone}, ${report.currency}); orders credited to the last clicked email within ${report.attribution.window_days} days; open_* columns: after an open, not credited`;
  return [head, line(rows[0]!), ...rows.slice(1).map(line), ...experimentLines(report)].join('\n') + '\n';
}

/** Each experiment's groups and its verdict (or why there is none yet), under the table. */
export function experimentLines(report: Report): string[] {
  if (!report.experiments.length) return [];
  const out = ['', 'experiments'];
  for (const e of report.experiments) {
    const name = e.kind === 'ab' ? `${e.flow} step ${e.step}: A/B (${e.experiment})` : `${e.flow}: holdout`;
    out.push(`${name}, orders within ${e.window_days} days`);
    for (const g of e.groups) {
      const clicks = g.clicks === undefined ? '' : `, ${g.clicks} clicked`;
      out.push(`  ${g.id}: ${g.contacts} contacts${clicks}, ${g.converted} ordered (${(g.conversion * 100).toFixed(1)}%), ${g.orders} orders, ${g.revenue} ${report.currency}, ${g.revenue_per_contact} per contact`);
    }
    if (e.incremental) {
      const i = e.incremental;
      out.push(`  incremental: ${i.orders.estimate} orders (95% CI ${i.orders.low} to ${i.orders.high}), ${i.revenue.estimate} ${report.currency} (95% CI ${i.revenue.low} to ${i.revenue.high})`);
    }
    out.push(`  ${e.verdict ?? e.note}`);
  }
  return out;
}
