/**
 * The raw query string, split the way SigV2 reads it.
 *
 *   "acl&versionId=v%2F1&Signature=a%2Bb%3D"  ->  [acl] [versionId="v/1"] [Signature="a+b="]
 *
 * Values are percent-decoded only; '+' stays '+'. That is what botocore's signer does when it
 * signs sub-resource values (`urllib.parse.unquote`), and botocore percent-encodes every '+'
 * and space it puts into a URL. Whether AWS reads a raw '+' in these values as a space is
 * UNVERIFIED. (The Signature parameter has its own rule: see readSignatureParam.)
 */

export interface QueryItem {
  /** The name as it appears on the wire (sub-resource names are matched undecoded, as botocore does). */
  rawName: string;
  /** The decoded name. */
  name: string;
  /** The decoded value; undefined when the item has no '=' at all (`?acl`), '' for `?acl=`. */
  value: string | undefined;
}

export function splitRawQuery(rawQuery: string): QueryItem[] {
  const items: QueryItem[] = [];
  for (const item of rawQuery.split('&')) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    const rawName = eq === -1 ? item : item.slice(0, eq);
    items.push({
      rawName,
      name: percentDecode(rawName),
      value: eq === -1 ? undefined : percentDecode(item.slice(eq + 1)),
    });
  }
  return items;
}

/** The value of the first item named exactly `name` ('' for a bare name), or undefined when absent. */
export function getQueryValue(items: readonly QueryItem[], name: string): string | undefined {
  const found = items.find((i) => i.name === name);
  return found === undefined ? undefined : (found.value ?? '');
}

/**
 * Decodes %XX escapes as UTF-8, a run of escapes at a time so multi-byte characters survive.
 * Bytes that are not UTF-8 become U+FFFD, as Python's unquote does; a '%' not followed by two
 * hex digits is kept literally.
 */
export function percentDecode(raw: string): string {
  if (!raw.includes('%')) return raw;
  return raw.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => Buffer.from(run.replace(/%/g, ''), 'hex').toString('utf8'));
}

/**
 * The Signature parameter, URL-decoded, with spaces read back as '+'. Base64 contains '+' but
 * never a space, so a space can only be a '+' that something form-decoded on the way (a
 * hand-built URL with a raw '+', a proxy, a framework's query parser). Reading it back is
 * unambiguous and gives an attacker nothing: the value is still compared with the full HMAC.
 * botocore itself always sends '%2B'.
 */
export function readSignatureParam(value: string): string {
  return value.replace(/ /g, '+');
}
