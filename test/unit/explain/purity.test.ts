/**
 * src/explain is pure like the verifier it re-runs: no HTTP framework, file system, database,
 * environment or clock. The CLI (and later the inspector) passes time, region and the token
 * lookup in, so the same report comes out of both.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DIR = fileURLToPath(new URL('../../../src/explain/', import.meta.url));
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.ts'));

const FORBIDDEN: [string, RegExp][] = [
  ['express (a value import)', /import\s+(?!type)[^;]*from\s+['"]express['"]/],
  ['better-sqlite3', /from\s+['"]better-sqlite3['"]/],
  ['node:fs', /from\s+['"](node:)?fs(\/promises)?['"]/],
  ['the storage layer', /from\s+['"]\.\.\/storage\//],
  ['process.env', /process\.env/],
  ['the clock (Date.now)', /Date\.now\(/],
  ['the clock (new Date())', /new Date\(\s*\)/],
];

describe('src/explain purity', () => {
  it('has the entry point the CLI and the inspector share', () => {
    expect(FILES).toEqual(expect.arrayContaining(['explain.ts', 'hints.ts', 'render.ts']));
  });

  for (const file of FILES) {
    it(`${file} reads no disk, database, environment or clock`, () => {
      const source = readFileSync(join(DIR, file), 'utf8');
      for (const [what, pattern] of FORBIDDEN) expect(source, `${file} uses ${what}`).not.toMatch(pattern);
    });
  }
});
