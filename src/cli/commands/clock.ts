/**
 * `signet clock advance 2h | set ISO | reset | show`: moves the "now" of a server started with
 * --clock-control (expiry of URLs, tokens and POST policies; header-auth skew) without sleeping.
 * The offset lives in the data directory's database, so it applies from the server's next request.
 */
import { Command, InvalidArgumentError } from 'commander';
import { CLOCK_CONTROL_SETTING } from '../../server.ts';
import { openStorage } from '../../storage/open-storage.ts';
import type { Storage } from '../../storage/types.ts';
import { dataDirOption, jsonOption, parseDuration } from '../options.ts';
import { printJson } from '../output.ts';

function parseInstant(text: string): number {
  const ms = Date.parse(text);
  if (!/^\d{4}-\d\d-\d\dT/.test(text) || Number.isNaN(ms)) {
    throw new InvalidArgumentError(`"${text}" is not an ISO 8601 time such as 2030-01-01T00:00:00Z`);
  }
  return ms;
}

/** '-2h' moves back; '2h' forward. */
function parseSignedDuration(text: string): number {
  const negative = text.startsWith('-');
  const seconds = parseDuration(negative ? text.slice(1) : text);
  return (negative ? -seconds : seconds) * 1000;
}

interface ClockState {
  offsetMs: number;
  now: string;
  serverHonoursOffset: boolean | null;
}

function state(storage: Storage): ClockState {
  const offsetMs = storage.meta.getClockOffsetMs();
  const flag = storage.meta.getSetting(CLOCK_CONTROL_SETTING);
  return { offsetMs, now: new Date(Date.now() + offsetMs).toISOString(), serverHonoursOffset: flag === undefined ? null : flag === '1' };
}

function report(s: ClockState, json: boolean): void {
  if (json) return printJson(s);
  const hours = (s.offsetMs / 3_600_000).toFixed(3).replace(/\.?0+$/, '');
  process.stdout.write(`signet clock: ${s.now} (offset ${s.offsetMs === 0 ? 'none' : `${hours}h`})\n`);
  if (s.serverHonoursOffset === false) {
    process.stdout.write('note: the server using this data directory was started without --clock-control and ignores this offset\n');
  } else if (s.serverHonoursOffset === null) {
    process.stdout.write('note: no server has used this data directory yet; start it with --clock-control for the offset to apply\n');
  }
}

async function withStorage<T>(dataDir: string, fn: (s: Storage) => T): Promise<T> {
  const storage = await openStorage(dataDir);
  try {
    return fn(storage);
  } finally {
    storage.close();
  }
}

export function clockCommand(): Command {
  const clock = new Command('clock').description("move the server's clock (honoured only with serve --clock-control)");
  clock
    .command('advance')
    .argument('<duration>', 'e.g. 2h, 30m, 7d (a leading - moves back)', parseSignedDuration)
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (ms: number, opts) => {
      report(await withStorage(opts.dataDir, (s) => (s.meta.setClockOffsetMs(s.meta.getClockOffsetMs() + ms), state(s))), opts.json);
    });
  clock
    .command('set')
    .argument('<time>', 'ISO 8601, e.g. 2030-01-01T00:00:00Z', parseInstant)
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (at: number, opts) => {
      report(await withStorage(opts.dataDir, (s) => (s.meta.setClockOffsetMs(at - Date.now()), state(s))), opts.json);
    });
  clock
    .command('reset')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (opts) => {
      report(await withStorage(opts.dataDir, (s) => (s.meta.setClockOffsetMs(0), state(s))), opts.json);
    });
  clock
    .command('show')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (opts) => {
      report(await withStorage(opts.dataDir, state), opts.json);
    });
  return clock;
}
