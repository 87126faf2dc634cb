import type { Server } from 'node:http';
import { ConfigError, loadConfig } from './config';
import { buildSidecar } from './deps';
import { FlowsFileError } from './flows/definitions';
import { createLogger } from './logger';

// Boot: config → dependencies → listen → start the runner → drain on SIGTERM.
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`retain-sidecar: ${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  let sidecar;
  try {
    sidecar = await buildSidecar(config, log);
  } catch (err) {
    if (err instanceof FlowsFileError) {
      process.stderr.write(`retain-sidecar: ${err.message}\n`);
      process.exit(78);
    }
    log.fatal({ err: (err as Error).message }, 'could not start');
    process.exit(1);
  }

  const server: Server = sidecar.app.listen(config.port, config.host, () => {
    log.info({ port: config.port, transport: sidecar.transport.name }, 'retain sidecar listening');
  });
  // The daily scans are jobs too; make sure today's and tomorrow's exist.
  await sidecar.scans.schedule().catch((err: Error) => log.error({ err: err.message }, 'could not schedule the daily scan'));
  sidecar.runner.start();
  const warming = Date.now();
  void sidecar.shop.warmUp().then(
    (orders) => log.info({ orders, ms: Date.now() - warming }, 'shop reader warmed up'),
    (err: Error) => log.error({ err: err.message }, 'shop reader warm-up failed; the first reads will retry it'),
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'draining');
    server.close();
    await sidecar.close();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

void main();
