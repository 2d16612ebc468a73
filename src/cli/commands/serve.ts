/** `signet serve`: settings from flags > environment > defaults (CONTRACT.md). */
import { setFlagsFromString } from 'node:v8';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULTS, ENV_NAMES, validateConfig, type Config } from '../../config.ts';
import type { RequestRecord } from '../../http/s3-handler.ts';
import { startServer } from '../../server.ts';

function parsePort(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError('use a whole number from 0 to 65535 (0 = any free port)');
  return Number(value);
}

function isTruthy(value: string | undefined): boolean {
  return value !== undefined && ['1', 'true', 'yes', 'on'].includes(value.toLowerCase());
}

/**
 * `--demo` alone (or SIGNET_DEMO=1/true/yes/on) signs with the root token; `--demo ID` with
 * that token; SIGNET_DEMO=0/false/no/off or empty leaves the demo off.
 */
function demoAccessKeyId(value: unknown, rootAccessKeyId: string): string | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true || isTruthy(String(value))) return rootAccessKeyId;
  const id = String(value).trim();
  if (id === '' || ['0', 'false', 'no', 'off'].includes(id.toLowerCase())) return undefined;
  return id;
}

/**
 * `signet serve` lets V8's old generation grow to 4x what survived the last full GC before the
 * next one (V8's own largest growing factor). Its dynamic factor sits near its 1.1 minimum for a
 * heap as small as signet's (about 11 MiB live); under uploads the young generation grows to
 * 16 MiB semi-spaces, the old generation's headroom falls below that, and V8 then marked the
 * whole heap about ten times a second during 64 KiB uploads (20 full GCs in 8 s of W7 against 2
 * with this; --trace-gc), each freeing little, its helper threads taking a third of a
 * millisecond of CPU per upload. Paired runs (test/bench/ab.ts, four each): W7 -2% to +15% in
 * rate (median +12%), W2 +2% to +21% (median +13%), 15-20% less CPU per upload; W1 and W3
 * unchanged. The cost: up to a few tens of MiB more heap between full GCs.
 *
 * V8 reads this flag whenever it recomputes its limits, so it applies when set at run time. It
 * is set once the server listens, not at the process's start: a changed flag makes V8 refuse
 * the code cache of Node's own modules, and loading the rest of them from source added about
 * 50 ms to every start (npm run bench -- --only COLD). The cost moves rather than vanishes: the
 * few of Node's modules first loaded after this (a handful, on the first requests) compile from
 * source too, a few ms once. `node --heap-growing-percent=N` (or `-heap-growing-percent`) from
 * the operator wins. Only the command sets it: startSignet() in somebody else's process leaves
 * that process's V8 alone.
 */
function growHeapMoreFreely(): void {
  if (process.execArgv.some((arg) => /^--?heap[-_]growing[-_]percent\b/.test(arg))) return;
  setFlagsFromString('--heap-growing-percent=300');
}

/** One line per request: method, path (never the query, which carries signatures), status, S3 code, ms. */
export function formatRequestLine(r: RequestRecord): string {
  return `${r.time} ${r.method} ${r.path} ${r.status}${r.errorCode ? ` ${r.errorCode}` : ''} ${r.durationMs}ms`;
}

/**
 * `--log-format json`: one object per line for machines. The same fields as the text line plus
 * who and what; never the query (signatures), a secret or the verifier's trace.
 */
export function formatRequestJson(r: RequestRecord): string {
  return JSON.stringify({
    time: r.time,
    method: r.method,
    path: r.path,
    status: r.status,
    code: r.errorCode ?? null,
    ms: r.durationMs,
    requestId: r.requestId,
    accessKeyId: r.accessKeyId ?? null,
    operation: r.operation ?? null,
  });
}

export const LOG_FORMATS = { text: formatRequestLine, json: formatRequestJson } as const;

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
    .option('--inspector-public', 'serve the web inspector at /_signet/ to every address, not only loopback (also SIGNET_INSPECTOR_PUBLIC=1)')
    .addOption(
      new Option('--demo [accessKeyId]', 'serve the browser-upload demo at /_signet/demo/upload, signing POST policies with this token (default: the root token)').env(
        'SIGNET_DEMO',
      ),
    )
    .option('--quiet', 'print no line per request')
    .addOption(new Option('--log-format <format>', 'one line per request as text or as JSON').choices(['text', 'json']).env('SIGNET_LOG_FORMAT').default('text'))
    .addOption(new Option('--init <file>', 'create the buckets and tokens this JSON file lists, at start, when absent').env('SIGNET_INIT'))
    .action(async (opts) => {
      const config: Config = validateConfig({
        host: opts.host,
        port: typeof opts.port === 'number' ? opts.port : parsePort(String(opts.port)),
        dataDir: opts.dataDir,
        region: opts.region,
        rootAccessKeyId: opts.rootAccessKeyId,
        rootSecretAccessKey: opts.rootSecretAccessKey,
        clockControl: Boolean(opts.clockControl) || isTruthy(process.env[ENV_NAMES.clockControl]),
        inspectorPublic: Boolean(opts.inspectorPublic) || isTruthy(process.env.SIGNET_INSPECTOR_PUBLIC),
        demoAccessKeyId: demoAccessKeyId(opts.demo, opts.rootAccessKeyId),
      });
      const quiet = Boolean(opts.quiet);
      const formatLine = LOG_FORMATS[opts.logFormat as keyof typeof LOG_FORMATS];
      // --init's reader and validator load only when it is given: not on every start.
      const init = opts.init ? await import('../../init/index.ts') : undefined;
      const initLines = init
        ? init.describeInitResult(init.applyInitToDataDir(config.dataDir, init.readInitFile(opts.init), config)).map((l) => `signet: init ${opts.init}: ${l}\n`)
        : [];
      // Handlers go in before anything is printed: a script that sends SIGINT the moment it reads
      // the listening line must get the graceful stop (exit 0), never Node's default kill.
      let running: Awaited<ReturnType<typeof startServer>> | undefined;
      let stopSignal: string | undefined;
      const stop = (signal: string) => {
        if (stopSignal !== undefined) return;
        stopSignal = signal;
        process.stdout.write(`signet: ${signal} received, finishing requests in flight\n`);
        if (running) closeAndExit(running);
      };
      const closeAndExit = (r: NonNullable<typeof running>) =>
        r.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
      running = await startServer(config, {
        onRequestDone: quiet ? undefined : (r) => process.stdout.write(`${formatLine(r)}\n`),
      });
      // A signal that came while the server was starting stops it now, before it announces itself.
      if (stopSignal !== undefined) return void closeAndExit(running);
      growHeapMoreFreely();
      for (const line of initLines) process.stdout.write(line);
      process.stdout.write(
        `signet: data directory ${config.dataDir}, region ${config.region}, root access key id ${config.rootAccessKeyId}` +
          `${config.clockControl ? ', clock control ON (signet clock moves this server\'s time)' : ''}\n`,
      );
      process.stdout.write(`signet listening on ${running.url}\n`);
      if (config.demoAccessKeyId !== undefined) {
        process.stdout.write(`signet: browser-upload demo at ${running.url}/_signet/demo/upload (policies signed with access key id ${config.demoAccessKeyId})\n`);
      }
    });
}
