/**
 * A strict JSON reader for policy documents. JSON.parse cannot be used because:
 *  - it silently keeps the last of two equal keys, and we reject duplicates (MinIO's
 *    `sanitizePolicy`): `{"expiration": A, "expiration": B}` must not mean whichever came last;
 *  - objects must keep their members in order with their names as written, for messages;
 *  - the POST form documentation lists `\$` and `\v` as escapes inside policy strings
 *    (reference §5.3, [S3-V2FORM]); neither is a JSON escape.
 *
 * Otherwise it accepts exactly RFC 8259 JSON (the test suite checks it against JSON.parse).
 */

export type JsonValue =
  | { type: 'object'; members: Array<{ name: string; value: JsonValue }> }
  | { type: 'array'; items: JsonValue[] }
  | { type: 'string'; value: string }
  | { type: 'number'; value: number; text: string }
  | { type: 'boolean'; value: boolean }
  | { type: 'null' };

export type JsonParseResult =
  | { ok: true; value: JsonValue }
  | { ok: false; error: 'syntax' }
  | { ok: false; error: 'duplicate-key'; key: string };

/** Policies nest three levels deep; this only stops a hostile `[[[[…` from exhausting the stack. */
const MAX_DEPTH = 64;

class JsonSyntaxError extends Error {}
class JsonDuplicateKeyError extends Error {
  constructor(readonly key: string) {
    super(key);
  }
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  // Policy-only escapes ([S3-V2FORM]).
  $: '$',
  v: '\v',
};

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

export function parsePolicyJson(text: string): JsonParseResult {
  const reader = new Reader(text);
  try {
    reader.skipWhitespace();
    const value = reader.readValue(0);
    reader.skipWhitespace();
    if (!reader.atEnd()) return { ok: false, error: 'syntax' };
    return { ok: true, value };
  } catch (err) {
    if (err instanceof JsonDuplicateKeyError) return { ok: false, error: 'duplicate-key', key: err.key };
    if (err instanceof JsonSyntaxError) return { ok: false, error: 'syntax' };
    throw err;
  }
}

class Reader {
  private pos = 0;
  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  skipWhitespace(): void {
    const { text } = this;
    for (;;) {
      const code = text.charCodeAt(this.pos);
      // space, \t, \n, \r; NaN past the end
      if (code !== 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) return;
      this.pos++;
    }
  }

  readValue(depth: number): JsonValue {
    if (depth > MAX_DEPTH) throw new JsonSyntaxError();
    const c = this.text[this.pos];
    if (c === '{') return this.readObject(depth);
    if (c === '[') return this.readArray(depth);
    if (c === '"') return { type: 'string', value: this.readString() };
    if (this.consumeWord('true')) return { type: 'boolean', value: true };
    if (this.consumeWord('false')) return { type: 'boolean', value: false };
    if (this.consumeWord('null')) return { type: 'null' };
    return this.readNumber();
  }

  private readObject(depth: number): JsonValue {
    this.pos++;
    const members: Array<{ name: string; value: JsonValue }> = [];
    const seen = new Set<string>();
    this.skipWhitespace();
    if (this.consume('}')) return { type: 'object', members };
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.pos] !== '"') throw new JsonSyntaxError();
      const name = this.readString();
      this.skipWhitespace();
      this.expect(':');
      this.skipWhitespace();
      const value = this.readValue(depth + 1);
      if (seen.has(name)) throw new JsonDuplicateKeyError(name);
      seen.add(name);
      members.push({ name, value });
      this.skipWhitespace();
      if (this.consume('}')) return { type: 'object', members };
      this.expect(',');
    }
  }

  private readArray(depth: number): JsonValue {
    this.pos++;
    const items: JsonValue[] = [];
    this.skipWhitespace();
    if (this.consume(']')) return { type: 'array', items };
    for (;;) {
      this.skipWhitespace();
      items.push(this.readValue(depth + 1));
      this.skipWhitespace();
      if (this.consume(']')) return { type: 'array', items };
      this.expect(',');
    }
  }

  /** Runs without escapes are sliced whole, not built a character at a time. */
  private readString(): string {
    const { text } = this;
    let start = ++this.pos;
    let out = '';
    for (;;) {
      if (this.atEnd()) throw new JsonSyntaxError();
      const code = text.charCodeAt(this.pos);
      if (code === 0x22 /* " */) {
        out += text.slice(start, this.pos++);
        return out;
      }
      if (code < 0x20) throw new JsonSyntaxError();
      if (code !== 0x5c /* \ */) {
        this.pos++;
        continue;
      }
      out += text.slice(start, this.pos);
      this.pos++;
      const e = text[this.pos++];
      if (e === 'u') {
        const hex = this.text.slice(this.pos, this.pos + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new JsonSyntaxError();
        out += String.fromCharCode(parseInt(hex, 16));
        this.pos += 4;
      } else if (e !== undefined && Object.hasOwn(SIMPLE_ESCAPES, e)) {
        out += SIMPLE_ESCAPES[e];
      } else {
        throw new JsonSyntaxError();
      }
      start = this.pos;
    }
  }

  private readNumber(): JsonValue {
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(this.text);
    if (!match) throw new JsonSyntaxError();
    this.pos += match[0].length;
    return { type: 'number', value: Number(match[0]), text: match[0] };
  }

  private consumeWord(word: string): boolean {
    if (!this.text.startsWith(word, this.pos)) return false;
    this.pos += word.length;
    return true;
  }

  private consume(c: string): boolean {
    if (this.text[this.pos] !== c) return false;
    this.pos++;
    return true;
  }

  private expect(c: string): void {
    if (!this.consume(c)) throw new JsonSyntaxError();
  }
}
