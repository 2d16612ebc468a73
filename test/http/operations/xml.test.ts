import { describe, expect, it } from 'vitest';
import { S3Error } from '../../../src/http/s3-errors.ts';
import { childList, childText, el, parseXmlBody, xmlDocument } from '../../../src/http/xml.ts';

function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof S3Error) return err.reason;
    throw err;
  }
  return 'parsed';
}

describe('xml.ts', () => {
  it('el escapes text and control characters; undefined leaves the element out', () => {
    expect(el('Key', `a<b>&"c"'\u0001`)).toBe('<Key>a&lt;b&gt;&amp;&quot;c&quot;&apos;&#1;</Key>');
    expect(el('Key', undefined)).toBe('');
    expect(el('IsTruncated', false)).toBe('<IsTruncated>false</IsTruncated>');
  });

  it('xmlDocument writes the declaration and the S3 namespace', () => {
    expect(xmlDocument('R', '<A>1</A>')).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<R xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><A>1</A></R>');
  });

  it('parses a namespaced Delete body keeping key text exactly (spaces, leading zeros, entities, CDATA)', () => {
    const root = parseXmlBody(
      '<?xml version="1.0"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key> 0123 </Key></Object><Object><Key>a&amp;b&#x1F600;</Key></Object><Object><Key><![CDATA[<raw & text>]]></Key></Object></Delete>',
      'Delete',
    );
    expect(root).not.toBe('');
    const keys = childList(root as Exclude<typeof root, ''>, 'Object').map((o) => childText(o, 'Key'));
    expect(keys).toEqual([' 0123 ', 'a&b😀', '<raw & text>']);
  });

  it('a single repeated element still parses as a list', () => {
    const root = parseXmlBody('<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>', 'CompleteMultipartUpload');
    expect(childList(root as Exclude<typeof root, ''>, 'Part')).toHaveLength(1);
  });

  it.each([
    ['', 'empty'],
    ['text', 'not XML'],
    ['<Delete><Object></Delete>', 'mismatched tags'],
    ['<Other/>', 'wrong root'],
    ['<Delete/><Delete/>', 'two roots'],
    ['<Delete>text</Delete>', 'text in the root'],
    ['<!DOCTYPE Delete><Delete/>', 'a DTD'],
    ['<Delete><Object><Key>&lol;</Key></Object></Delete>', 'an undeclared entity'],
    ['<Delete><__proto__>1</__proto__></Delete>', 'a prototype-polluting name'],
  ])('%j (%s) -> MalformedXML', (body) => {
    expect(reasonOf(() => parseXmlBody(body, 'Delete'))).toBe('MalformedXML');
  });

  it('a nested element where text is expected -> MalformedXML', () => {
    const root = parseXmlBody('<Delete><Object><Key><x/></Key></Object></Delete>', 'Delete');
    const [object] = childList(root as Exclude<typeof root, ''>, 'Object');
    expect(reasonOf(() => childText(object!, 'Key'))).toBe('MalformedXML');
  });
});
