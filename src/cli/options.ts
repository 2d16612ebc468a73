/** Options shared by several commands, each defined once. */
import { InvalidArgumentError, Option } from 'commander';
import { DEFAULTS, ENV_NAMES } from '../config.ts';

export function dataDirOption(): Option {
  return new Option('--data-dir <dir>', 'data directory (objects + SQLite database)').env(ENV_NAMES.dataDir).default(DEFAULTS.dataDir);
}

export function jsonOption(): Option {
  return new Option('--json', 'print exactly one JSON document on stdout');
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** '90s', '15m', '1h', '7d', '2w', '1h30m' -> seconds. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (!/^(\d+[smhdw])+$/.test(trimmed)) {
    throw new InvalidArgumentError(`"${text}" is not a duration: use forms like 90s, 15m, 1h, 7d or 1h30m`);
  }
  let total = 0;
  for (const m of trimmed.matchAll(/(\d+)([smhdw])/g)) total += Number(m[1]) * UNIT_SECONDS[m[2]!]!;
  if (total <= 0) throw new InvalidArgumentError(`"${text}" must be longer than zero`);
  return total;
}
