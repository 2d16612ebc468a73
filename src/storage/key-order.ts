/**
 * S3 lists keys in UTF-8 binary order. SQLite's BINARY collation compares the UTF-8 bytes of
 * TEXT with memcmp, which is the same order; for well-formed strings that is also Unicode
 * code point order. JavaScript's `<` is NOT: it compares UTF-16 code units, so it puts
 * U+FF5E ("～", one unit 0xFF5E) after U+1F600 ("😀", units 0xD83D 0xDE00), while UTF-8 puts
 * the emoji (F0 9F 98 80) after it (EF BD 9E). Everything that compares keys in JS uses
 * {@link compareKeys}.
 */

/** Compares two well-formed strings in code point (= UTF-8 byte) order: -1, 0 or 1. */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Code units D800-DFFF (surrogates, i.e. code points above U+FFFF) must sort after
    // E000-FFFF. Shift both ranges so that unit order becomes code point order.
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x < y ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/**
 * The smallest string greater than every string that starts with `prefix`, or undefined
 * when there is none (prefix '' or only U+10FFFF). So, in UTF-8 byte order,
 *
 *   k starts with p   <=>   p <= k < prefixSuccessor(p)
 *
 *   "photos/"  -> "photos0"      ('/' + 1 = '0')
 *   "a\u{10FFFF}" -> "b"
 *   "\u{D7FF}" -> "\u{E000}"     (surrogate code points do not exist in UTF-8)
 *
 * The result is always a well-formed string, so it binds to SQLite as ordinary TEXT.
 */
export function prefixSuccessor(prefix: string): string | undefined {
  const codePoints = Array.from(prefix);
  while (codePoints.length > 0) {
    const last = codePoints.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
      return codePoints.join('') + String.fromCodePoint(next);
    }
  }
  return undefined;
}
