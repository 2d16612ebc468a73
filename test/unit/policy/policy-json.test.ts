import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parsePolicyJson, type JsonValue } from '../../../src/policy/policy-json.ts';

/** Back to what JSON.parse would return, to compare the two readers. */
function toPlain(value: JsonValue): unknown {
  switch (value.type) {
    case 'object':
      return Object.fromEntries(value.members.map((m) => [m.name, toPlain(m.value)]));
    case 'array':
      return value.items.map(toPlain);
    case 'string':
    case 'number':
    case 'boolean':
      return value.value;
    case 'null':
      return null;
  }
}

function jsonParseOrUndefined(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

describe('parsePolicyJson agrees with JSON.parse', () => {
  it('reads every JSON document JSON.parse reads, to the same value', () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        const ours = parsePolicyJson(text);
        expect(ours.ok).toBe(true);
        if (ours.ok) expect(toPlain(ours.value)).toEqual(JSON.parse(text));
      }),
      { numRuns: 500 },
    );
  });

  it('rejects what JSON.parse rejects, after one character is inserted or removed', () => {
    const mutated = fc
      .tuple(fc.json(), fc.nat(), fc.constantFrom('', '"', ',', ':', '{', '}', '[', ']', '\\', 'x', '0', '-', '.', 'e', ' ', '\u0001'))
      .map(([text, at, insert]) => {
        const i = at % (text.length + 1);
        return insert === '' ? text.slice(0, i) + text.slice(i + 1) : text.slice(0, i) + insert + text.slice(i);
      });
    fc.assert(
      fc.property(mutated, (text) => {
        const ours = parsePolicyJson(text);
        if (!ours.ok && ours.error === 'duplicate-key') return; // JSON.parse keeps the last one
        if (/\\[$v]/.test(text)) return; // the policy-only escapes
        const theirs = jsonParseOrUndefined(text);
        expect(ours.ok).toBe(theirs !== undefined);
        if (ours.ok && theirs) expect(toPlain(ours.value)).toEqual(theirs.value);
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['empty text', ''],
    ['trailing comma in an array', '[1,]'],
    ['trailing comma in an object', '{"a":1,}'],
    ['single quotes', "{'a':1}"],
    ['unquoted key', '{a:1}'],
    ['leading zero', '01'],
    ['bare fraction', '.5'],
    ['raw newline in a string', '"a\nb"'],
    ['unknown escape', '"\\q"'],
    ['short unicode escape', '"\\u12"'],
    ['two documents', '{} {}'],
    ['NaN', 'NaN'],
  ])('%s is a syntax error', (_name, text) => {
    expect(parsePolicyJson(text)).toEqual({ ok: false, error: 'syntax' });
  });
});

describe('parsePolicyJson policy specifics', () => {
  it('a repeated key is reported with its name', () => {
    expect(parsePolicyJson('{"expiration": "a", "expiration": "b"}')).toEqual({ ok: false, error: 'duplicate-key', key: 'expiration' });
  });

  it('a repeated key inside a nested object is reported', () => {
    expect(parsePolicyJson('{"conditions": [{"acl": "a", "acl": "b"}]}')).toEqual({ ok: false, error: 'duplicate-key', key: 'acl' });
  });

  it('keys differing only in case are distinct (policy keys are case-sensitive)', () => {
    const result = parsePolicyJson('{"acl": "a", "ACL": "b"}');
    expect(result.ok && toPlain(result.value)).toEqual({ acl: 'a', ACL: 'b' });
  });

  it('the same key in two sibling objects is not a duplicate', () => {
    expect(parsePolicyJson('[{"acl": "a"}, {"acl": "b"}]').ok).toBe(true);
  });

  it('\\$ and \\v are the escapes the POST form documentation adds', () => {
    const result = parsePolicyJson('["\\$foo", "a\\vb"]');
    expect(result.ok && toPlain(result.value)).toEqual(['$foo', 'a\u000bb']);
  });

  it('members keep their order and their names as written', () => {
    const result = parsePolicyJson('{"b": 1, "A": 2, "1": 3}');
    expect(result.ok && result.value.type === 'object' && result.value.members.map((m) => m.name)).toEqual(['b', 'A', '1']);
  });

  it('numbers keep their text as written', () => {
    const result = parsePolicyJson('[1e3, -0.50]');
    expect(result.ok && result.value.type === 'array' && result.value.items).toEqual([
      { type: 'number', value: 1000, text: '1e3' },
      { type: 'number', value: -0.5, text: '-0.50' },
    ]);
  });

  it('a hostile nesting depth is a syntax error, not a stack overflow', () => {
    expect(parsePolicyJson('['.repeat(100_000))).toEqual({ ok: false, error: 'syntax' });
  });
});
