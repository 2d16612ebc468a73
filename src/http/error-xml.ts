/**
 * Renders an S3Error as S3 does (reference s3-auth.md §6.1):
 *
 *   <?xml version="1.0" encoding="UTF-8"?>
 *   <Error><Code>…</Code><Message>…</Message>[extra elements, in order]<Resource>…</Resource>
 *   <RequestId>…</RequestId><HostId>…</HostId></Error>
 */
import type { S3Error } from './s3-errors.ts';

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

const NEEDS_ESCAPE = /[&<>"'\u0000-\u0008\u000b\u000c\u000e-\u001f]/;

export function escapeXml(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return text;
  // Control characters are not allowed in XML 1.0 text; S3 keys may contain them, so they are
  // written as character references (as S3 does for keys in listings).
  return text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function renderErrorXml(err: S3Error, resource: string, requestId: string, hostId: string): string {
  let body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${escapeXml(err.code)}</Code><Message>${escapeXml(err.message)}</Message>`;
  for (const [name, value] of Object.entries(err.elements)) {
    body += `<${name}>${escapeXml(value)}</${name}>`;
  }
  body += `<Resource>${escapeXml(resource)}</Resource><RequestId>${requestId}</RequestId><HostId>${hostId}</HostId></Error>`;
  return body;
}
