/**
 * `signet log [--follow] [--json] [--limit N] [--status 403|4xx] [--bucket B]`: the request log
 * of the data directory, read from its database directly (the server need not be running).
 *
 *   text            the last N requests, oldest first (as `tail`), one line each
 *   --json          one JSON document {"requests": [...]}, newest first (as GET /_signet/requests)
 *   --follow        then keeps printing new requests until interrupted (Ctrl-C)
 *   --follow --json JSON lines: one request object per line, oldest first
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import type Database from 'better-sqlite3';
import { formatLogLine } from '../../log/format.ts';
import {
  createRequestLogReader,
  databasePath,
  DEFAULT_LIMIT,
  hasDatabase,
  MAX_LIMIT,
  openLogDatabase,
  parseStatusFilter,
  type LoggedRequest,
  type RequestLogQuery,
  type StatusFilter,
} from '../../log/request-log.ts';
import { dataDirOption } from '../options.ts';
import { printJson, UserError } from '../output.ts';

export const FOLLOW_POLL_MS = 500;

function parseLimit(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > MAX_LIMIT) {
    throw new InvalidArgumentError(`use a whole number from 1 to ${MAX_LIMIT}`);
  }
  return Number(text);
}

function parseStatus(text: string): StatusFilter {
  const filter = parseStatusFilter(text);
  if (!filter) throw new InvalidArgumentError('use a status such as 403 or a class such as 4xx');
  return filter;
}

interface LogOptions {
  dataDir: string;
  follow?: boolean;
  json?: boolean;
  limit: number;
  status?: StatusFilter;
  bucket?: string;
}

export function logCommand(): Command {
  return new Command('log')
    .description('print the request log: the S3 requests the server answered, with their verdicts (signatures are never logged)')
    .addOption(dataDirOption())
    .option('--follow', 'keep printing new requests as they arrive, until Ctrl-C (with --json: one JSON object per line)')
    .addOption(new Option('--json', 'print one JSON document {"requests": [...]}, newest first; with --follow, JSON lines'))
    .addOption(new Option('--limit <n>', 'how many of the latest requests to print').default(50).argParser(parseLimit))
    .addOption(new Option('--status <status>', 'only this status (403) or class (4xx)').argParser(parseStatus))
    .option('--bucket <bucket>', 'only requests for this bucket')
    .action(async (opts: LogOptions) => {
      if (!hasDatabase(opts.dataDir)) {
        throw new UserError(`no signet database in ${opts.dataDir}: start the server with --data-dir ${opts.dataDir}, or pass the --data-dir it uses`);
      }
      const db = openLogDatabase(databasePath(opts.dataDir));
      try {
        await printLog(db, opts);
      } finally {
        db.close();
      }
    });
}

async function printLog(db: Database.Database, opts: LogOptions): Promise<void> {
  const reader = createRequestLogReader(db);
  const filters: RequestLogQuery = { status: opts.status, bucket: opts.bucket };
  const latest = reader.query({ ...filters, limit: opts.limit ?? DEFAULT_LIMIT });
  if (!opts.follow) {
    if (opts.json) printJson({ requests: latest });
    else for (const r of [...latest].reverse()) process.stdout.write(`${formatLogLine(r)}\n`);
    return;
  }
  const print = (r: LoggedRequest) => process.stdout.write(`${opts.json ? JSON.stringify(r) : formatLogLine(r)}\n`);
  let lastId = latest[0]?.id ?? maxId(db);
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      for (;;) {
        const next = reader.query({ ...filters, afterId: lastId, limit: 1000 });
        next.forEach(print);
        if (next.length > 0) lastId = next[next.length - 1]!.id;
        if (next.length < 1000) break;
      }
    }, FOLLOW_POLL_MS);
    const stop = () => {
      clearInterval(timer);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    // Printed only once the handlers are in: a script that stops `log --follow` as soon as it
    // reads a line gets a clean exit, not Node's default kill.
    [...latest].reverse().forEach(print);
  });
}

function maxId(db: Database.Database): number {
  return (db.prepare('SELECT coalesce(max(id), 0) AS id FROM request_log').get() as { id: number }).id;
}
