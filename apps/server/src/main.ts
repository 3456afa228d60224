// Entry point: config → storage (+ migrations) → app → listen; graceful shutdown on SIGTERM/SIGINT.
import { createServer } from 'node:net';
import { buildApp } from './app.js';
import { ConfigError, httpUrl, loadDotEnv, parseConfig, unknownSettings } from './config.js';
import { StartupError } from './startup-error.js';
import { openStorage } from './storage.js';

const SHUTDOWN_DEADLINE_MS = 10_000;

function say(line: string): void {
  process.stdout.write(`spendguard: ${line}\n`);
}

async function main(): Promise<void> {
  loadDotEnv();
  let config: ReturnType<typeof parseConfig>;
  try {
    config = parseConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`spendguard: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  for (const warning of unknownSettings(process.env)) say(`warning: ${warning}`);
  if (config.production && !process.env.SPENDGUARD_PUBLIC_URL) {
    say(`warning: SPENDGUARD_PUBLIC_URL is not set: invite links will point at ${config.publicUrl}`);
  }
  if (!config.databaseUrl) {
    say(
      `embedded mode: PGlite database in ${config.dataDir} (for trying Spendguard and small single-node use)`,
    );
  }
  // Before the database is created or migrated: a taken port is the most common start-up failure.
  await assertPortFree(config.host, config.port);
  const storage = await openStorage(config, say);
  const app = await buildApp({ config, db: storage.db, redis: storage.redis });
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  say(`listening on ${httpUrl(config.host, port)}`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: draining and shutting down`);
    const deadline = setTimeout(() => {
      process.stderr.write('spendguard: shutdown took longer than 10 s; exiting\n');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    try {
      await app.close();
      await storage.close();
      process.exit(0);
    } catch (error) {
      process.stderr.write(`spendguard: error during shutdown: ${(error as Error).message}\n`);
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new StartupError(
              `port ${port} on ${host} is already in use (another Spendguard or another program); stop it or set SPENDGUARD_PORT`,
            )
          : error,
      ),
    );
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

main().catch((error: unknown) => {
  // A start-up failure (database unreachable, port taken) is one clear line, not a stack trace.
  const err = error as NodeJS.ErrnoException;
  const line =
    error instanceof StartupError ? err.message : `${err.code ? `${err.code}: ` : ''}${err.message}`;
  process.stderr.write(`spendguard: failed to start: ${line}\n`);
  process.exit(1);
});
