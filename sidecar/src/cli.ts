import { systemClock } from './clock';
import { ConfigError, loadConfig } from './config';
import { buildSidecar } from './deps';
import { createShopPool, createStatePool } from './db/pool';
import { migrate } from './db/migrate';
import { shopMigrations, stateMigrations } from './db/migrations';
import { FlowsFileError } from './flows/definitions';
import { createSimulator, parseSimulationRange, simulationCsv, simulationJson, simulationTable } from './flows/simulate';
import { createLogger } from './logger';
import { AppError } from './errors';
import { parseLocalDate } from './reports/days';
import { parseReportRange } from './reports/reports';
import { formatDeliverability, parseDeliverabilityDate } from './engagement/deliverability';
import { formatSyncSummary, SuppressionSyncError } from './engagement/suppression-sync';
import { toCsv, toTable } from './reports/table';
import { SEGMENTS } from './shop/segments';
import type { SegmentName } from './shop/types';

// `npx retain <command>`: the operator's CLI. It reads the same environment as the sidecar.
const HELP = `usage: npx retain <command>

commands:
  migrate     apply the sidecar's database migrations, then exit
  status      print queue, message and event figures as JSON
  run-once    apply received events and send everything due now, then exit
  scan [--date YYYY-MM-DD]
              run the daily scans now (birthdays, anniversaries, win-back, VIP, search
              abandonment): enters contacts into flows; safe to repeat
  simulate --from YYYY-MM-DD --to YYYY-MM-DD [--csv|--json]
              who would get which email when, per shop day (the scans' candidates and the
              steps already scheduled, with the gate's foreseeable outcomes); sends and
              writes nothing
  timeline <email>
              why did or didn't this contact get an email: every decision with its reason
  segment <name> [--limit N] [--after CURSOR]
              a shop segment's size and members: leads, first_time, repeat, loyal, lapsed,
              cart_abandoners (keyset-paged; pass the printed cursor as --after)
  report --from YYYY-MM-DD --to YYYY-MM-DD [--csv]
              per flow, step and shop day: scheduled, submitted, delivered, opens, clicks,
              unsubscribes, bounces, complaints, attributed orders and revenue, recovered carts
  deliverability [--date YYYY-MM-DD]
              per flow: submitted, delivered, bounced, complained, unsubscribed and their
              rates for a shop day (default yesterday) and the 7 days to it, with warnings
  suppressions sync [--dry-run]
              pull Mailgun's bounces, complaints and unsubscribes into Retain and push ours
              to Mailgun, so both agree; safe to repeat
  help        this text

Configuration comes from the environment, exactly as for the sidecar (see README).`;

async function main(argv: string[]): Promise<number> {
  const [command = 'help'] = argv;
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const config = loadConfig();
  const log = createLogger(process.env.LOG_LEVEL ?? 'warn');
  /** The value after a flag (`--from 2026-11-01`), if the command line has it. */
  const flag = (f: string) => (argv.includes(f) ? argv[argv.indexOf(f) + 1] : undefined);

  switch (command) {
    case 'migrate': {
      const state = createStatePool(config.stateDbUrl, 2);
      const shop = createShopPool(config.shopDbUrl, 2);
      try {
        const ran = [...(await migrate(state, config.tablePrefix, log, stateMigrations)), ...(await migrate(shop, config.tablePrefix, log, shopMigrations))];
        process.stdout.write(ran.length ? `applied migrations ${ran.join(', ')}\n` : 'up to date\n');
        return 0;
      } finally {
        await Promise.all([state.end(), shop.end()]);
      }
    }
    case 'scan': {
      const date = flag('--date');
      const day = date ? parseLocalDate(date) : null;
      if (date && !day) {
        process.stderr.write('--date takes a real date as YYYY-MM-DD (date_invalid)\n');
        return 64;
      }
      const sidecar = await buildSidecar(config, log);
      try {
        const result = await sidecar.scans.run(day ?? undefined);
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return 0;
      } finally {
        await sidecar.close();
      }
    }
    case 'simulate': {
      let range;
      try {
        range = parseSimulationRange({ from: flag('--from'), to: flag('--to') });
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        process.stderr.write(`${err.message} (${err.code})\nusage: npx retain simulate --from YYYY-MM-DD --to YYYY-MM-DD [--csv|--json]\n`);
        return 2;
      }
      const sidecar = await buildSidecar(config, log);
      try {
        const simulator = createSimulator({
          pool: sidecar.statePool, prefix: config.tablePrefix, clock: systemClock, shop: sidecar.shop, scans: sidecar.scans, flows: sidecar.flows,
          rules: { caps: config.frequencyCaps, quietHours: config.quietHours },
        });
        const rows = await simulator.simulate(range);
        process.stdout.write(argv.includes('--json') ? simulationJson(rows) : argv.includes('--csv') ? simulationCsv(rows) : simulationTable(rows));
        return 0;
      } finally {
        await sidecar.close();
      }
    }
    case 'timeline': {
      const email = argv[1];
      if (!email) {
        process.stderr.write('usage: npx retain timeline <email>\n');
        return 64;
      }
      const sidecar = await buildSidecar(config, log);
      try {
        const contact = await sidecar.privacy.timeline(email);
        if (!contact) {
          process.stderr.write(`no contact ${email}\n`);
          return 1;
        }
        process.stdout.write(`${contact.email}  consent: ${contact.consent}${contact.unsubscribed_at ? `  unsubscribed ${contact.unsubscribed_at.toISOString()}` : ''}\n`);
        for (const t of contact.timeline) {
          const what = [t.flow, t.step ? `step ${t.step}` : null].filter(Boolean).join(' ');
          process.stdout.write(`${t.at.toISOString()}  ${t.kind.padEnd(12)} ${what.padEnd(24)} ${t.detail ? JSON.stringify(t.detail) : ''}\n`);
        }
        return 0;
      } finally {
        await sidecar.close();
      }
    }
    case 'segment': {
      const name = argv[1] as SegmentName | undefined;
      if (!name || !SEGMENTS.includes(name)) {
        process.stderr.write(`usage: npx retain segment <${SEGMENTS.join('|')}> [--limit N] [--after CURSOR]\n`);
        return 64;
      }
      const limit = Math.min(Math.max(Number(flag('--limit') ?? 50) || 50, 1), 5000);
      const sidecar = await buildSidecar(config, log);
      try {
        await sidecar.shop.facts.refresh();
        const [count, page] = await Promise.all([sidecar.shop.segments.count(name), sidecar.shop.segments.members(name, { after: flag('--after') ?? null, limit })]);
        process.stdout.write(`${name}: ${count} contact(s)\n`);
        for (const m of page.members) {
          process.stdout.write(`${m.email}\t${m.paidOrders} paid order(s)\t${m.totalSpent}\t${m.lastPaidAt ? m.lastPaidAt.toISOString().slice(0, 10) : '-'}\n`);
        }
        if (page.next) process.stdout.write(`next page: --after ${page.next}\n`);
        return 0;
      } finally {
        await sidecar.close();
      }
    }
    case 'deliverability': {
      let date;
      try {
        date = parseDeliverabilityDate({ date: flag('--date') });
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        process.stderr.write(`${err.message} (${err.code})\nusage: npx retain deliverability [--date YYYY-MM-DD]\n`);
        return 64;
      }
      const sidecar = await buildSidecar(config, log);
      try {
        process.stdout.write(formatDeliverability(await sidecar.deliverability.build(date)));
        return 0;
      } finally {
        await sidecar.close();
      }
    }
    case 'suppressions': {
      if (argv[1] !== 'sync') {
        process.stderr.write('usage: npx retain suppressions sync [--dry-run]\n');
        return 64;
      }
      const sidecar = await buildSidecar(config, log);
      try {
        if (!sidecar.suppressionSync) {
          process.stderr.write('MAILGUN_API_KEY and MAILGUN_DOMAIN are not set: there is no Mailgun list to sync with\n');
          return 78;
        }
        try {
          process.stdout.write(`${formatSyncSummary(await sidecar.suppressionSync.run({ dryRun: argv.includes('--dry-run') }))}\n`);
        } catch (err) {
          if (!(err instanceof SuppressionSyncError)) throw err;
          process.stderr.write(`${err.message} (${err.code})\n`);
          return 1;
        }
        return 0;
      } finally {
        await sidecar.close();
      }
    }
    case 'report': {
      let range;
      try {
        range = parseReportRange({ from: flag('--from'), to: flag('--to') });
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        process.stderr.write(`${err.message} (${err.code})\nusage: npx retain report --from YYYY-MM-DD --to YYYY-MM-DD [--csv]\n`);
        return 64;
      }
      const sidecar = await buildSidecar(config, log);
      try {
        const report = await sidecar.reports.build(range);
        process.stdout.write(argv.includes('--csv') ? toCsv(report) : toTable(report));
        return 0;
      } finally {
        await sidecar.close();
      }
    }
    case 'status':
    case 'run-once': {
      const sidecar = await buildSidecar(config, log);
      try {
        if (command === 'run-once') {
          const ran = await sidecar.runner.runDue();
          process.stdout.write(`ran ${ran} job(s)\n`);
        } else {
          process.stdout.write(`${JSON.stringify(await sidecar.status.details(), null, 2)}\n`);
        }
        return 0;
      } finally {
        await sidecar.close();
      }
    }
    default:
      process.stderr.write(`unknown command "${command}"\n\n${HELP}\n`);
      return 64; // EX_USAGE
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError || err instanceof FlowsFileError) {
      process.stderr.write(`retain: ${err.message}\n`);
      process.exit(78);
    }
    process.stderr.write(`retain: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
