/**
 * RFC 3986 percent-encoding as SigV4 defines UriEncode (reference s3-auth.md §1.3, §1.4),
 * and the decoder that undoes what a client put on the wire.
 *
 *   UriEncode("a b/ü+", { keepSlash: true })  ->  "a%20b/%C3%BC%2B"
 *
 * Both work on bytes: S3 signs the UTF-8 bytes of the decoded path, so a percent sequence
 * that is not valid UTF-8 (`%FF`) must survive a decode/encode round trip byte for byte.
 */

const HEX = '0123456789ABCDEF';

function isUnreserved(byte: number): boolean {
  return (
    (byte >= 0x41 && byte <= 0x5a) || // A-Z
    (byte >= 0x61 && byte <= 0x7a) || // a-z
    (byte >= 0x30 && byte <= 0x39) || // 0-9
    byte === 0x2d || // -
    byte === 0x2e || // .
    byte === 0x5f || // _
    byte === 0x7e // ~
  );
}

export interface UriEncodeOptions {
  /** Leave '/' literal: true for the canonical URI, false for query keys and values. */
  keepSlash?: boolean;
}

/** Percent-encodes every byte outside A-Za-z0-9-._~ with upper-case hex. Strings are UTF-8. */
export function uriEncode(input: string | Uint8Array, options: UriEncodeOptions = {}): string {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  let out = '';
  for (const byte of bytes) {
    if (isUnreserved(byte) || (options.keepSlash && byte === 0x2f)) {
      out += String.fromCharCode(byte);
    } else {
      out += `%${HEX[byte >> 4]}${HEX[byte & 0x0f]}`;
    }
  }
  return out;
}

function hexValue(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  return -1;
}

export interface PercentDecodeOptions {
  /** Read '+' as a space (form encoding). S3 does so in the path (§1.3) and signet in the query (§1.4). */
  plusAsSpace?: boolean;
}

/**
 * Decodes %XX sequences into bytes. Never throws: a '%' not followed by two hex digits stays
 * a literal '%' (and will be re-encoded as %25).
 */
export function percentDecode(input: string, options: PercentDecodeOptions = {}): Buffer {
  const bytes = Buffer.from(input, 'utf8');
  const out = Buffer.alloc(bytes.length);
  let length = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (byte === 0x25) {
      const high = hexValue(bytes[i + 1]);
      const low = hexValue(bytes[i + 2]);
      if (high >= 0 && low >= 0) {
        out[length++] = (high << 4) | low;
        i += 2;
        continue;
      }
    }
    out[length++] = options.plusAsSpace && byte === 0x2b ? 0x20 : byte;
  }
  return out.subarray(0, length);
}

/** percentDecode as a string, for reading parameter values (invalid UTF-8 becomes U+FFFD). */
export function percentDecodeToString(input: string, options: PercentDecodeOptions = {}): string {
  return percentDecode(input, options).toString('utf8');
}
