import { ConfigError, loadConfig } from './config';
import { buildSidecar } from './deps';
import { createShopPool, createStatePool } from './db/pool';
import { migrate } from './db/migrate';
import { shopMigrations, stateMigrations } from './db/migrations';
import { FlowsFileError } from './flows/definitions';
import { createLogger } from './logger';

// `npx retain <command>`: the operator's CLI. It reads the same environment as the sidecar.
const HELP = `usage: npx retain <command>

commands:
  migrate     apply the sidecar's database migrations, then exit
  status      print queue, message and event figures as JSON
  run-once    apply received events and send everything due now, then exit
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
