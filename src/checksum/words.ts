/**
 * The word view the slicing-by-8 CRCs read through: `data` split into a byte-wise head (up to
 * 4-byte alignment, which Int32Array needs), whole 8-byte groups as little-endian 32-bit
 * words, and a byte-wise tail starting at index `tail`.
 *
 *   data   [ head bytes | w0 w1 | w2 w3 | … | tail bytes ]
 *
 * On a big-endian machine the words would come out byte-swapped, so everything is head there
 * (correct, only slower).
 */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const NO_WORDS = new Int32Array(0);

export function alignedWords(data: Uint8Array, groupBytes: 8): { head: number; words: Int32Array; tail: number } {
  if (!LITTLE_ENDIAN) return { head: data.length, words: NO_WORDS, tail: data.length };
  const head = Math.min((4 - (data.byteOffset & 3)) & 3, data.length);
  const groups = Math.floor((data.length - head) / groupBytes);
  const words = groups > 0 ? new Int32Array(data.buffer, data.byteOffset + head, (groups * groupBytes) / 4) : NO_WORDS;
  return { head, words, tail: head + groups * groupBytes };
}
