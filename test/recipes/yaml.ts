/**
 * A small YAML reader for the recipes' files (docker-compose.yml, the GitHub Actions workflow):
 * block mappings and sequences, plain and quoted scalars, `|` and `>` block scalars, flow
 * sequences of JSON strings or of plain scalars, comments. Scalars stay strings. Anything else
 * (anchors, tags, flow mappings, multi-document streams) is refused with the line number, so a
 * recipe that outgrows this reader fails loudly instead of being half-read.
 */
export type Yaml = string | null | Yaml[] | { [key: string]: Yaml };

interface Line {
  n: number;
  indent: number;
  text: string;
}

export function parseYaml(source: string): Yaml {
  const raw = source.replace(/\r\n/g, '\n').split('\n');
  const lines: Line[] = [];
  raw.forEach((text, i) => {
    if (/^\s*(#.*)?$/.test(text)) return;
    if (/^\t/.test(text)) throw new Error(`line ${i + 1}: tabs are not allowed for indentation`);
    if (/^(---|\.\.\.)\s*$/.test(text)) throw new Error(`line ${i + 1}: multi-document YAML is not supported`);
    lines.push({ n: i + 1, indent: text.length - text.trimStart().length, text: text.trim() });
  });
  const state = { i: 0, lines, raw };
  if (lines.length === 0) return null;
  const value = parseBlock(state, lines[0]!.indent);
  if (state.i < lines.length) throw new Error(`line ${lines[state.i]!.n}: unexpected indentation`);
  return value;
}

interface State {
  i: number;
  lines: Line[];
  raw: string[];
}

function parseBlock(s: State, indent: number): Yaml {
  const first = s.lines[s.i]!;
  return first.text.startsWith('- ') || first.text === '-' ? parseSequence(s, indent) : parseMapping(s, indent);
}

function parseSequence(s: State, indent: number): Yaml[] {
  const out: Yaml[] = [];
  while (s.i < s.lines.length) {
    const line = s.lines[s.i]!;
    if (line.indent < indent) break;
    if (line.indent > indent || !(line.text.startsWith('- ') || line.text === '-')) throw new Error(`line ${line.n}: expected "- " at indent ${indent}`);
    const rest = line.text === '-' ? '' : line.text.slice(2).trim();
    if (rest === '') {
      s.i++;
      out.push(s.i < s.lines.length && s.lines[s.i]!.indent > indent ? parseBlock(s, s.lines[s.i]!.indent) : null);
    } else if (/^[^"'[{][^:]*:(\s|$)/.test(rest) || /^"[^"]*":(\s|$)/.test(rest)) {
      // "- key: value" opens a mapping whose keys sit at the column after "- ".
      const column = line.indent + (line.text.length - rest.length);
      s.lines[s.i] = { n: line.n, indent: column, text: rest };
      out.push(parseMapping(s, column));
    } else {
      s.i++;
      out.push(parseScalar(rest, line.n));
    }
  }
  return out;
}

function parseMapping(s: State, indent: number): { [key: string]: Yaml } {
  const out: { [key: string]: Yaml } = {};
  while (s.i < s.lines.length) {
    const line = s.lines[s.i]!;
    if (line.indent < indent) break;
    if (line.indent > indent) throw new Error(`line ${line.n}: unexpected indentation`);
    const m = /^("([^"]*)"|'([^']*)'|[^:#]+?)\s*:(\s+(.*))?$/.exec(line.text);
    if (!m) throw new Error(`line ${line.n}: expected "key: value"`);
    const key = m[2] ?? m[3] ?? m[1]!;
    if (key in out) throw new Error(`line ${line.n}: duplicate key "${key}"`);
    const rest = stripComment(m[5] ?? '');
    s.i++;
    if (rest === '|' || rest === '>' || rest === '|-' || rest === '>-') {
      out[key] = blockScalar(s, indent, rest);
    } else if (rest === '') {
      const next = s.lines[s.i];
      // A sequence may sit at the same indent as its key (a common compose style).
      if (next && (next.indent > indent || (next.indent === indent && next.text.startsWith('- ')))) out[key] = parseBlock(s, next.indent);
      else out[key] = null;
    } else {
      out[key] = parseScalar(rest, line.n);
    }
  }
  return out;
}

function blockScalar(s: State, indent: number, style: string): string {
  const startLine = s.lines[s.i - 1]!.n; // 1-based line of the "key: |"
  const body: string[] = [];
  let blockIndent = -1;
  let rawIndex = startLine; // 0-based index of the line after
  for (; rawIndex < s.raw.length; rawIndex++) {
    const text = s.raw[rawIndex]!;
    if (text.trim() === '') {
      body.push('');
      continue;
    }
    const ind = text.length - text.trimStart().length;
    if (ind <= indent) break;
    if (blockIndent === -1) blockIndent = ind;
    body.push(text.slice(blockIndent));
  }
  while (s.i < s.lines.length && s.lines[s.i]!.n <= rawIndex) s.i++;
  while (body.length && body[body.length - 1] === '') body.pop();
  const text = style.startsWith('|') ? body.join('\n') : body.join(' ').replace(/ {2,}/g, ' ');
  return style.endsWith('-') ? text : `${text}\n`;
}

function stripComment(text: string): string {
  if (text.startsWith('"') || text.startsWith("'") || text.startsWith('[')) return text.trim();
  const hash = text.search(/\s#/);
  return (hash === -1 ? text : text.slice(0, hash)).trim();
}

function parseScalar(text: string, n: number): Yaml {
  const t = stripComment(text);
  if (t.startsWith('"')) {
    if (!/^"(?:[^"\\]|\\.)*"$/.test(t)) throw new Error(`line ${n}: unterminated double-quoted string`);
    return JSON.parse(t) as string;
  }
  if (t.startsWith("'")) {
    if (!/^'(?:[^']|'')*'$/.test(t)) throw new Error(`line ${n}: unterminated single-quoted string`);
    return t.slice(1, -1).replace(/''/g, "'");
  }
  if (t.startsWith('[')) {
    try {
      return JSON.parse(t) as Yaml[];
    } catch {
      // [push, pull_request]: plain scalars only
      const plain = /^\[([^[\]{}"']*)\]$/.exec(t);
      if (!plain) throw new Error(`line ${n}: only flow sequences of JSON strings or plain scalars are supported`);
      return plain[1]!.trim() === '' ? [] : plain[1]!.split(',').map((x) => x.trim());
    }
  }
  if (/^[{&*!|>]/.test(t)) throw new Error(`line ${n}: unsupported YAML (${t[0]})`);
  if (t === '~' || t === 'null') return null;
  return t;
}
