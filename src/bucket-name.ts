/**
 * S3's bucket naming rules (general purpose buckets):
 * 3-63 characters of lower-case letters, digits, '.' and '-'; beginning and ending with a
 * letter or digit; no two adjacent periods; not formatted as an IP address; not starting with
 * 'xn--', 'sthree-' or 'amzn-s3-demo-', not ending with '-s3alias', '--ol-s3', '.mrap' or
 * '--x-s3'. Returns the broken rule, or undefined when the name is valid.
 */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'must be between 3 and 63 characters long';
  if (!/^[a-z0-9.-]+$/.test(name)) return 'may contain only lower-case letters, digits, dots (.) and hyphens (-)';
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return 'must begin and end with a letter or digit';
  if (name.includes('..')) return 'must not contain two adjacent periods';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'must not be formatted as an IP address';
  for (const prefix of ['xn--', 'sthree-', 'amzn-s3-demo-']) if (name.startsWith(prefix)) return `must not start with "${prefix}"`;
  for (const suffix of ['-s3alias', '--ol-s3', '.mrap', '--x-s3']) if (name.endsWith(suffix)) return `must not end with "${suffix}"`;
  return undefined;
}

export function isValidBucketName(name: string): boolean {
  return bucketNameProblem(name) === undefined;
}
