/** Reads an S3 error body into its elements (flat: S3 error bodies have no nesting). */
export interface S3ErrorBody {
  Code?: string;
  Message?: string;
  [element: string]: string | undefined;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescape(text: string): string {
  return text.replace(/&(#\d+|#x[0-9a-f]+|\w+);/gi, (m, e: string) => {
    if (e.startsWith('#x') || e.startsWith('#X')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(Number(e.slice(1)));
    return ENTITIES[e] ?? m;
  });
}

export function parseErrorXml(xml: string): S3ErrorBody {
  const inner = /<Error>([\s\S]*)<\/Error>/.exec(xml);
  if (!inner) throw new Error(`not an S3 error body: ${xml.slice(0, 200)}`);
  const out: S3ErrorBody = {};
  for (const m of inner[1]!.matchAll(/<([A-Za-z0-9-]+)>([\s\S]*?)<\/\1>|<([A-Za-z0-9-]+)\/>/g)) {
    if (m[3]) out[m[3]] = '';
    else out[m[1]!] = unescape(m[2]!);
  }
  return out;
}

/** The element names of an error body, in order. */
export function errorElementNames(xml: string): string[] {
  const inner = /<Error>([\s\S]*)<\/Error>/.exec(xml)?.[1] ?? '';
  return [...inner.matchAll(/<([A-Za-z0-9-]+)>[\s\S]*?<\/\1>/g)].map((m) => m[1]!);
}
