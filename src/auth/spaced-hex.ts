/**
 * The form of S3's StringToSignBytes and CanonicalRequestBytes elements: the UTF-8 bytes as
 * lower-case two-digit hex separated by single spaces ("41 57 53 34 …"), so a learner can
 * spot an invisible difference (a trailing space, a CR) between two strings to sign.
 */
export function toSpacedHex(text: string): string {
  // A lookup table and one pass: every SignatureDoesNotMatch renders two of these strings,
  // and this is several times faster than a regular expression over the hex.
  const bytes = Buffer.from(text, 'utf8');
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += (i === 0 ? '' : ' ') + BYTE_HEX[bytes[i]!];
  return out;
}

/** '00'…'ff' */
const BYTE_HEX: readonly string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));
