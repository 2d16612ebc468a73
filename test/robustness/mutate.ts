/**
 * Hostile strings and mutations for the property-based tests: fast-check arbitraries that
 * turn a valid input into a near miss (a character replaced, a run deleted, a hostile piece
 * inserted, a truncation), which reaches deeper into a parser than random text does.
 */
import fc from 'fast-check';

/** Fixed seed: a failure is reproducible, and CI runs the same cases every time. */
export const SEED = 0x516e6574;

/** Pieces that parsers of S3 requests special-case, or that break naive ones. */
export const HOSTILE_PIECES = [
  '',
  ' ',
  '\t',
  '\r\n',
  '\n',
  '\r',
  '\0',
  '%',
  '%zz',
  '%0',
  '%00',
  '%C3%28',
  '%ff%fe',
  '&',
  '=',
  '==',
  '/',
  '//',
  '../',
  ',',
  ';',
  ':',
  '"',
  "'",
  '<',
  '>',
  '&amp;',
  '&#0;',
  '&#xD800;',
  ']]>',
  '<![CDATA[',
  '<!DOCTYPE x [<!ENTITY a "b">]>',
  '__proto__',
  'constructor',
  'toString',
  '-1',
  '0',
  '1e309',
  'NaN',
  '9007199254740993',
  '99999999999999999999',
  'ffffffffffffffff',
  'AWS4-HMAC-SHA256',
  'Credential=',
  'SignedHeaders=',
  'Signature=',
  'aws4_request',
  'chunk-signature=',
  'x-amz-trailer-signature:',
  '\u00e9',
  '\ud800',
  '\uffff',
  '\u{1f600}',
  'a'.repeat(300),
];

export const hostilePiece = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_PIECES) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 24 }) },
);

export type Mutation =
  | { op: 'replace'; at: number; text: string }
  | { op: 'insert'; at: number; text: string }
  | { op: 'delete'; at: number; length: number }
  | { op: 'truncate'; at: number }
  | { op: 'duplicate' }
  | { op: 'case'; at: number }
  | { op: 'empty' };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('replace' as const), at: fc.nat(), text: hostilePiece }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: hostilePiece }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('duplicate' as const) }),
  fc.record({ op: fc.constant('case' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('empty' as const) }),
);

/** Applies one mutation; positions wrap around the text's length. */
export function mutateText(text: string, m: Mutation): string {
  const at = text.length === 0 ? 0 : ('at' in m ? m.at : 0) % (text.length + 1);
  switch (m.op) {
    case 'replace':
      return text.slice(0, at) + m.text + text.slice(at + 1);
    case 'insert':
      return text.slice(0, at) + m.text + text.slice(at);
    case 'delete':
      return text.slice(0, at) + text.slice(at + m.length);
    case 'truncate':
      return text.slice(0, at);
    case 'duplicate':
      return text + text;
    case 'case': {
      const c = text.charAt(at);
      const flipped = c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase();
      return text.slice(0, at) + flipped + text.slice(at + 1);
    }
    case 'empty':
      return '';
  }
}

/** Byte-level mutations for binary framings (aws-chunked). */
export type ByteMutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'delete'; at: number; length: number }
  | { op: 'truncate'; at: number };

export const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({
    op: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 8 }),
      fc.constantFrom(...['\r\n', '\r', '\n', ';', '0\r\n', 'f'.repeat(14), ':', '\r\n\r\n'].map((s) => Buffer.from(s))),
    ),
  }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
);

export function mutateBytes(data: Buffer, m: ByteMutation): Buffer {
  const at = m.at % (data.length + 1);
  switch (m.op) {
    case 'flip': {
      if (data.length === 0) return data;
      const copy = Buffer.from(data);
      const i = at % data.length;
      copy[i] = copy[i]! ^ (1 << m.bit);
      return copy;
    }
    case 'insert':
      return Buffer.concat([data.subarray(0, at), Buffer.from(m.bytes), data.subarray(at)]);
    case 'delete':
      return Buffer.concat([data.subarray(0, at), data.subarray(at + m.length)]);
    case 'truncate':
      return data.subarray(0, at);
  }
}

/** Splits bytes at the given cut points (taken modulo the length), in order. */
export function splitAt(data: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => (data.length === 0 ? 0 : c % data.length)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    if (p > from) pieces.push(data.subarray(from, p));
    from = Math.max(from, p);
  }
  pieces.push(data.subarray(from));
  return pieces;
}
