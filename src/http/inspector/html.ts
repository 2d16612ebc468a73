/**
 * Server-rendered HTML for the inspector: one escaping function, one page frame, no CDN.
 * Every value that comes from a request, a key, a token name or a step is hostile input and
 * goes through `esc` (or `html` template holes, which call it).
 */
import { randomBytes } from 'node:crypto';
import type { Response } from 'express';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** Already-escaped HTML, passed through `html` unchanged. */
export class SafeHtml {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export function raw(text: string): SafeHtml {
  return new SafeHtml(text);
}

type Hole = SafeHtml | string | number | boolean | null | undefined | ReadonlyArray<Hole>;

function render(hole: Hole): string {
  if (hole instanceof SafeHtml) return hole.text;
  if (Array.isArray(hole)) return hole.map(render).join('');
  if (hole === null || hole === undefined || hole === false) return '';
  return esc(hole);
}

/** Tagged template: holes are escaped unless they are SafeHtml (or arrays of it). */
export function html(strings: TemplateStringsArray, ...holes: Hole[]): SafeHtml {
  let out = strings[0]!;
  holes.forEach((hole, i) => {
    out += render(hole) + strings[i + 1]!;
  });
  return new SafeHtml(out);
}

/** A URL under /_signet/ with query parameters, escaped for an attribute by `html`. */
export function link(path: string, params: Record<string, string | number | undefined> = {}): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== '') query.set(name, String(value));
  const qs = query.toString();
  return `/_signet${path}${qs ? `?${qs}` : ''}`;
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d232a;background:#fafbfc}
header{background:#1d232a;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.2rem;align-items:baseline;flex-wrap:wrap}
header a{color:#cfe3ff;text-decoration:none}header a:hover{text-decoration:underline}
header strong{font-size:1.1rem;margin-right:.6rem}
main{padding:1rem 1.2rem;max-width:80rem}
h1{font-size:1.3rem;margin:.2rem 0 1rem}h2{font-size:1.1rem;margin:1.6rem 0 .5rem}
table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}
th,td{border-bottom:1px solid #e3e6ea;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f0f2f5;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.refused{background:#fff1f0}tr.refused td.status{color:#b3261e;font-weight:600}
tr.ok td.status{color:#1a7f37}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
pre{background:#fff;border:1px solid #e3e6ea;padding:.5rem;overflow:auto;margin:.3rem 0}
.muted{color:#667085}.small{font-size:12px}
.verdict{padding:.6rem .8rem;border-radius:4px;margin:.6rem 0;font-weight:600}
.verdict.accepted{background:#e7f6ec;border:1px solid #9fd7b1}.verdict.refused{background:#fff1f0;border:1px solid #f2b8b5}
ol.steps{padding-left:1.6rem}ol.steps>li{margin:.4rem 0;padding:.3rem .5rem;background:#fff;border:1px solid #e3e6ea;border-radius:4px}
ol.steps>li.fail{border-color:#f2b8b5;background:#fff7f6}
.mark{display:inline-block;min-width:2.6rem;font-weight:600}.mark.ok{color:#1a7f37}.mark.fail{color:#b3261e}
dl.detail{display:grid;grid-template-columns:max-content 1fr;gap:.1rem .8rem;margin:.3rem 0 0}
dl.detail dt{color:#667085}dl.detail dd{margin:0;word-break:break-all}
ol.lines{margin:.3rem 0;padding:.3rem 0 .3rem 3.2rem;background:#fff;border:1px solid #e3e6ea;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px}
ol.lines li{white-space:pre-wrap;word-break:break-all;padding-left:.4rem}
ol.lines li.differs{background:#fff1c2;outline:1px solid #e8c547}
ol.lines li::marker{color:#98a2b3}
.hint{background:#eef4ff;border:1px solid #b9cdf5;border-radius:4px;padding:.5rem .7rem;margin:.4rem 0}
form.explain textarea,form.explain input[type=text]{width:100%;box-sizing:border-box;font-family:ui-monospace,Menlo,Consolas,monospace}
form.explain label{display:block;margin:.6rem 0 .2rem;font-weight:600}
button{padding:.35rem .9rem;margin-top:.6rem}
.crumbs a{margin-right:.2rem}
`;

/** The frame every page shares. `nonce` allows this page's one inline script. */
export function page(title: string, body: SafeHtml, options: { nonce?: string; script?: string } = {}): string {
  const script = options.script && options.nonce ? `<script nonce="${esc(options.nonce)}">${options.script}</script>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)} · signet inspector</title><link rel="icon" href="data:,"><style>${STYLE}</style></head>
<body><header><strong>signet inspector</strong>
<a href="/_signet/">Overview</a><a href="/_signet/#requests">Requests</a><a href="/_signet/explain">Explain a request</a>
</header><main>${body.text}</main>${script}</body></html>`;
}

export function newNonce(): string {
  return randomBytes(12).toString('base64');
}

/**
 * Sends a page with a strict Content-Security-Policy: nothing is loaded from elsewhere, the
 * only script is the page's own (by nonce), fetches stay on this origin.
 */
export function sendPage(res: Response, document: string, nonce?: string, status = 200): void {
  res.setHeader(
    'Content-Security-Policy',
    `default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'${nonce ? `; script-src 'nonce-${nonce}'` : ''}`,
  );
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cache-Control', 'no-store');
  res.status(status).type('text/html; charset=utf-8').send(document);
}
