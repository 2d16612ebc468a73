/**
 * src/sigv4 and src/auth are pure: no web framework, upload parser, database, file system,
 * HTTP module or environment. Time, region and token lookup arrive as arguments.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../../src/', import.meta.url));
/** `from 'x'`, `import 'x'`, `import('x')` or `require('x')` of a module matching `name`. */
function importOf(name: string): RegExp {
  return new RegExp(`(?:from|import|import\\(|require\\()\\s*['"]${name}['"]`);
}

const FORBIDDEN: [string, RegExp][] = [
  ['express', importOf('express')],
  ['busboy', importOf('busboy')],
  ['better-sqlite3', importOf('better-sqlite3')],
  ['node:fs', importOf('(?:node:)?fs(?:/promises)?')],
  ['node:http', importOf('(?:node:)?https?')],
  ['process.env', /process\.env/],
];

function sourceFiles(dir: string): string[] {
  return readdirSync(`${SRC}${dir}`, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => `${dir}/${f}`);
}

describe('the import patterns', () => {
  it('catch each form of import they look for', () => {
    const patterns = Object.fromEntries(FORBIDDEN);
    expect(patterns.express.test("import express from 'express';")).toBe(true);
    expect(patterns['node:fs'].test("import { readFileSync } from 'node:fs';")).toBe(true);
    expect(patterns['node:fs'].test("await import('fs/promises')")).toBe(true);
    expect(patterns['node:http'].test("import type { IncomingMessage } from 'node:http';")).toBe(true);
    expect(patterns['node:http'].test("scheme === 'https'")).toBe(false);
    expect(patterns['process.env'].test('const r = process.env.SIGNET_REGION;')).toBe(true);
  });
});

describe.each(['sigv4', 'auth'])('src/%s', (dir) => {
  const files = sourceFiles(dir);

  it('has source files to check', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s imports no express, busboy, better-sqlite3, node:fs, node:http and reads no process.env', (file) => {
    const text = readFileSync(`${SRC}${file}`, 'utf8');
    const found = FORBIDDEN.filter(([, pattern]) => pattern.test(text)).map(([name]) => name);
    expect(found).toEqual([]);
  });
});
