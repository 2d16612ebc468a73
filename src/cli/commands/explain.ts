/**
 * `signet explain 'URL' [--method PUT] [--header 'Content-Type: image/png']... [--json]`:
 * every verification step of that request against this data directory's tokens and the
 * server's clock, the verdict, the S3 error it would get and hints (CONTRACT.md).
 *
 * Exit status: 0 when the server would accept the request, 1 when it would refuse it (the
 * report on stdout, one line on stderr), 2 on bad usage.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULTS, ENV_NAMES } from '../../config.ts';
import { ExplainInputError, hostOfUrl, parseHeaderLine } from '../../explain/request.ts';
import { CLOCK_CONTROL_SETTING } from '../../server.ts';
import { DATABASE_FILE, openMetadataOnly } from '../../storage/open-storage.ts';
import { dataDirOption, jsonOption } from '../options.ts';
import { printJson, UserError } from '../output.ts';

type HeaderLine = readonly [string, string];

function parseUrl(value: string): string {
  try {
    hostOfUrl(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return value;
}

/** Repeatable --header; 'Name:' (no value) removes nothing and adds nothing, as curl's -H. */
function collectHeader(value: string, previous: HeaderLine[] = []): HeaderLine[] {
  let parsed: HeaderLine | undefined;
  try {
    parsed = parseHeaderLine(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return parsed ? [...previous, parsed] : previous;
}

function parseMethod(value: string): string {
  if (!/^[A-Za-z]+$/.test(value)) throw new InvalidArgumentError(`"${value}" is not an HTTP method`);
  return value.toUpperCase();
}

export function explainCommand(): Command {
  return new Command('explain')
    .description("show every verification step of a request against this data directory's tokens and the server's clock")
    .argument('<url>', 'the URL as the client sends it (quote it: it contains &)', parseUrl)
    .addOption(new Option('--method <method>', 'the HTTP method').default('GET').argParser(parseMethod))
    .option('--header <line>', "a header as sent, 'Name: value' (repeatable, in order); a Host header replaces the URL's", collectHeader)
    .addOption(new Option('--region <region>', "the server's region").env(ENV_NAMES.region).default(DEFAULTS.region))
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (url: string, opts: { method: string; header?: HeaderLine[]; region: string; dataDir: string; json?: boolean }) => {
      // Loaded here, not at the top: every `signet serve` would load the verifier's explainer.
      const [{ explainRequest }, { renderExplainText }, { explainDepsFrom }] = await Promise.all([
        import('../../explain/explain.ts'),
        import('../../explain/render.ts'),
        import('../../explain-deps.ts'),
      ]);
      if (!existsSync(join(opts.dataDir, DATABASE_FILE))) {
        throw new UserError(`no signet data directory at ${opts.dataDir}: pass the server's --data-dir (or SIGNET_DATA_DIR)`);
      }
      const meta = openMetadataOnly(opts.dataDir);
      let report;
      try {
        // The offset counts only for a server that follows it (serve --clock-control).
        const offset = meta.getSetting(CLOCK_CONTROL_SETTING) === '1' ? meta.getClockOffsetMs() : 0;
        report = explainRequest(
          { url, method: opts.method, headers: opts.header ?? [] },
          explainDepsFrom(meta, { now: new Date(Date.now() + offset), region: opts.region, clockOffsetMs: offset }),
        );
      } catch (err) {
        if (err instanceof ExplainInputError) throw new UserError(err.message);
        throw err;
      } finally {
        meta.close();
      }
      if (opts.json) printJson(report);
      else process.stdout.write(renderExplainText(report));
      if (report.verdict === 'refused' && report.error) {
        throw new UserError(`the request would be refused: ${report.error.status} ${report.error.code}`);
      }
    });
}
