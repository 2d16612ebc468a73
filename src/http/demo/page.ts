/**
 * The demo page (upload.html next to this file): read once, with the server's values filled in
 * as escaped HTML text. The page carries no secret: it asks the policy helper for signed
 * fields when it uploads.
 */
import { readFileSync } from 'node:fs';
import { escapeXml } from '../error-xml.ts';

const TEMPLATE = readFileSync(new URL('./upload.html', import.meta.url), 'utf8');

export function renderUploadPage(values: { accessKeyId: string; region: string }): string {
  return TEMPLATE.replaceAll('{{ACCESS_KEY_ID}}', escapeXml(values.accessKeyId)).replaceAll('{{REGION}}', escapeXml(values.region));
}
