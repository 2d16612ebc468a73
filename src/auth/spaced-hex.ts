/**
 * The form of S3's StringToSignBytes and CanonicalRequestBytes elements: the UTF-8 bytes as
 * lower-case two-digit hex separated by single spaces ("41 57 53 34 …"), so a learner can
 * spot an invisible difference (a trailing space, a CR) between two strings to sign.
 */
export function toSpacedHex(text: string): string {
  return Buffer.from(text, 'utf8').toString('hex').replace(/(..)(?!$)/g, '$1 ');
}
