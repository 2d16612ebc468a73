/** `signet serve`: settings from flags > environment > defaults (CONTRACT.md). */
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULTS, ENV_NAMES, validateConfig, type Config } from '../../config.ts';
import type { RequestRecord } from '../../http/app.ts';
import { startServer } from '../../server.ts';

function parsePort(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError('use a whole number from 0 to 65535 (0 = any free port)');
  return Number(value);
}

function isTruthy(value: string | undefined): boolean {
  return value !== undefined && ['1', 'true', 'yes', 'on'].includes(value.toLowerCase());
}

/** One line per request: method, path (never the query, which carries signatures), status, S3 code, ms. */
export function formatRequestLine(r: RequestRecord): string {
  return `${r.time} ${r.method} ${r.path} ${r.status}${r.errorCode ? ` ${r.errorCode}` : ''} ${r.durationMs}ms`;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('start the S3 server')
    .addOption(new Option('--host <host>', 'address to listen on').env(ENV_NAMES.host).default(DEFAULTS.host))
    .addOption(new Option('--port <port>', 'port (0 = any free port)').env(ENV_NAMES.port).default(DEFAULTS.port).argParser(parsePort))
    .addOption(new Option('--data-dir <dir>', 'data directory').env(ENV_NAMES.dataDir).default(DEFAULTS.dataDir))
    .addOption(new Option('--region <region>', 'the region signatures must name').env(ENV_NAMES.region).default(DEFAULTS.region))
    .addOption(new Option('--root-access-key-id <id>', 'root access key id').env(ENV_NAMES.rootAccessKeyId).default(DEFAULTS.rootAccessKeyId))
    .addOption(
      new Option('--root-secret-access-key <secret>', 'root secret access key').env(ENV_NAMES.rootSecretAccessKey).default(DEFAULTS.rootSecretAccessKey),
    )
    .option('--clock-control', `follow \`signet clock\` offsets (also ${ENV_NAMES.clockControl}=1)`)
    .option('--quiet', 'print no line per request')
    .action(async (opts) => {
      const config: Config = validateConfig({
        host: opts.host,
        port: typeof opts.port === 'number' ? opts.port : parsePort(String(opts.port)),
        dataDir: opts.dataDir,
        region: opts.region,
        rootAccessKeyId: opts.rootAccessKeyId,
        rootSecretAccessKey: opts.rootSecretAccessKey,
        clockControl: Boolean(opts.clockControl) || isTruthy(process.env[ENV_NAMES.clockControl]),
      });
      const quiet = Boolean(opts.quiet);
      const running = await startServer(config, {
        onRequestDone: quiet ? undefined : (r) => process.stdout.write(`${formatRequestLine(r)}\n`),
      });
      process.stdout.write(
        `signet: data directory ${config.dataDir}, region ${config.region}, root access key id ${config.rootAccessKeyId}` +
          `${config.clockControl ? ', clock control ON (signet clock moves this server\'s time)' : ''}\n`,
      );
      process.stdout.write(`signet listening on ${running.url}\n`);
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        process.stdout.write(`signet: ${signal} received, finishing requests in flight\n`);
        running.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}
