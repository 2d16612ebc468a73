/**
 * S3's XML, both ways.
 *
 * Responses are built by string concatenation: an S3 response is a fixed tree of elements, so
 * a builder object per request would only cost time. Every text value goes through
 * {@link escapeXml}.
 *
 *   <?xml version="1.0" encoding="UTF-8"?>
 *   <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>…</ListBucketResult>
 *
 * Request bodies (DeleteObjects, CompleteMultipartUpload, CreateBucketConfiguration) are parsed
 * with fast-xml-parser behind {@link parseXmlBody}, which turns every problem (not XML, a DTD,
 * an unknown entity, the wrong root element) into S3's MalformedXML: never a 500.
 */
import { createRequire } from 'node:module';
import { escapeXml } from './error-xml.ts';
import { S3Error } from './s3-errors.ts';

// The CommonJS build: one bundled file, where the ES module build is some thirty, each a round
// trip through tsx's loader when `signet serve` starts (about 50 ms of its cold start).
const { XMLParser, XMLValidator } = createRequire(import.meta.url)('fast-xml-parser') as typeof import('fast-xml-parser');

export { escapeXml };

export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** `<name>text</name>`, or '' when value is undefined (the element is left out). */
export function el(name: string, value: string | number | boolean | undefined): string {
  if (value === undefined) return '';
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** `<name>inner</name>` where `inner` is already serialised XML. */
export function elRaw(name: string, innerXml: string): string {
  return `<${name}>${innerXml}</${name}>`;
}

/** A whole response document; the root carries S3's namespace unless told otherwise. */
export function xmlDocument(root: string, innerXml: string, opts: { namespace?: boolean } = {}): string {
  const ns = opts.namespace === false ? '' : ` xmlns="${S3_XMLNS}"`;
  return `${XML_DECLARATION}<${root}${ns}>${innerXml}</${root}>`;
}

// ---- request bodies

/** A parsed element: text, or child elements by name (repeated names as arrays, see below). */
export type XmlValue = string | XmlElement | XmlValue[];
export interface XmlElement {
  [name: string]: XmlValue;
}

/** Elements that may repeat, so that one occurrence still parses as an array. */
const REPEATED_ELEMENTS = new Set(['Delete.Object', 'CompleteMultipartUpload.Part']);

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  // Keys and ETags are text: '0123' must not become 123, ' a ' must keep its spaces.
  parseTagValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // Needed for numeric character references (&#13; in keys); the named HTML entities this
  // also enables are refused beforehand by hasOnlyXmlEntities.
  htmlEntities: true,
  isArray: (_name: string, jpath: unknown) => REPEATED_ELEMENTS.has(String(jpath)),
});

const CDATA_SECTION = /<!\[CDATA\[[\s\S]*?\]\]>/g;
const NON_XML_ENTITY = /&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)/;

/** XML 1.0 knows five named entities; a DTD could declare more, and S3 takes no DTD. */
function hasOnlyXmlEntities(text: string): boolean {
  return !NON_XML_ENTITY.test(text.replace(CDATA_SECTION, ''));
}

/**
 * Parses a request body whose root element must be `root`; returns that element's content
 * ('' for an empty element). Any failure is MalformedXML.
 */
export function parseXmlBody(body: Buffer | string, root: string): XmlElement | '' {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (/<!DOCTYPE/i.test(text) || !hasOnlyXmlEntities(text)) throw new S3Error('MalformedXML');
  if (XMLValidator.validate(text) !== true) throw new S3Error('MalformedXML');
  let doc: unknown;
  try {
    doc = parser.parse(text);
  } catch (cause) {
    throw new S3Error('MalformedXML', { cause });
  }
  const names = doc && typeof doc === 'object' ? Object.keys(doc) : [];
  if (names.length !== 1 || names[0] !== root) throw new S3Error('MalformedXML');
  const content = (doc as XmlElement)[root];
  if (content === '' || isElement(content)) return content;
  // Text directly inside the root (<Delete>x</Delete>) fits no S3 schema.
  throw new S3Error('MalformedXML');
}

export function isElement(value: XmlValue | undefined): value is XmlElement {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The text of a child element, or undefined when absent; a nested element is MalformedXML. */
export function childText(parent: XmlElement, name: string): string | undefined {
  const value = parent[name];
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  // <Key></Key> parses as ''; <Key><x/></Key> or a repeated <Key> is not S3's schema.
  throw new S3Error('MalformedXML');
}

/** A repeated child element as a list (absent = []). */
export function childList(parent: XmlElement, name: string): XmlElement[] {
  const value = parent[name];
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((item) => {
    if (item === '') return {};
    if (!isElement(item)) throw new S3Error('MalformedXML');
    return item;
  });
}
