/**
 * A small well-formedness checker for the reporters' output, so the tests need no XML
 * or HTML parser: tags balance, attribute values are quoted and escaped, text holds no
 * stray "<" or bare "&", and no forbidden character appears. It returns the problems
 * found; an empty list means the document passed.
 */

/** HTML elements that never have a closing tag. */
const VOID_ELEMENTS = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);
/** HTML elements whose content is not markup. */
const RAW_TEXT_ELEMENTS = new Set(['style', 'script']);

const XML_ENTITY = /^&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/;
const HTML_ENTITY = /^&(?:[a-zA-Z][a-zA-Z0-9]*|#\d+|#x[0-9a-fA-F]+);/;
const NAME = /^[A-Za-z_:][A-Za-z0-9_:.-]*/;

export function checkMarkup(doc: string, mode: 'xml' | 'html'): string[] {
  const problems: string[] = [];
  const entity = mode === 'xml' ? XML_ENTITY : HTML_ENTITY;
  const forbidden = forbiddenChars(doc);
  if (forbidden.length > 0) problems.push(`forbidden characters: ${forbidden.join(', ')}`);

  const stack: string[] = [];
  let roots = 0;
  let i = 0;
  const checkText = (text: string, at: number): void => {
    for (let k = text.indexOf('&'); k !== -1; k = text.indexOf('&', k + 1)) {
      if (!entity.test(text.slice(k))) problems.push(`bare "&" at ${at + k}: ${JSON.stringify(text.slice(k, k + 12))}`);
    }
  };

  while (i < doc.length) {
    const lt = doc.indexOf('<', i);
    const textEnd = lt === -1 ? doc.length : lt;
    checkText(doc.slice(i, textEnd), i);
    if (stack.length === 0 && doc.slice(i, textEnd).trim() !== '' && mode === 'xml') problems.push(`text outside the root at ${i}`);
    if (lt === -1) break;
    const rest = doc.slice(lt);
    if (rest.startsWith('<!--')) {
      const end = doc.indexOf('-->', lt);
      if (end === -1) return [...problems, `unclosed comment at ${lt}`];
      i = end + 3;
      continue;
    }
    if (rest.startsWith('<?') || /^<!doctype\s/i.test(rest)) {
      const end = doc.indexOf('>', lt);
      if (end === -1) return [...problems, `unclosed declaration at ${lt}`];
      i = end + 1;
      continue;
    }
    if (rest.startsWith('</')) {
      const match = /^<\/([A-Za-z_:][A-Za-z0-9_:.-]*)\s*>/.exec(rest);
      if (!match) return [...problems, `malformed end tag at ${lt}: ${JSON.stringify(rest.slice(0, 20))}`];
      const open = stack.pop();
      if (open !== match[1]) problems.push(`</${match[1]}> at ${lt} closes <${open ?? 'nothing'}>`);
      i = lt + match[0].length;
      continue;
    }
    const tag = parseStartTag(rest, entity);
    if (typeof tag === 'string') return [...problems, `${tag} at ${lt}: ${JSON.stringify(rest.slice(0, 40))}`];
    problems.push(...tag.problems.map((p) => `${p} in <${tag.name}> at ${lt}`));
    i = lt + tag.length;
    if (stack.length === 0) roots++;
    const name = mode === 'html' ? tag.name.toLowerCase() : tag.name;
    if (tag.selfClosing || (mode === 'html' && VOID_ELEMENTS.has(name))) continue;
    if (mode === 'html' && RAW_TEXT_ELEMENTS.has(name)) {
      const end = doc.toLowerCase().indexOf(`</${name}>`, i);
      if (end === -1) return [...problems, `unclosed <${name}> at ${lt}`];
      i = end + name.length + 3;
      continue;
    }
    stack.push(tag.name);
  }
  if (stack.length > 0) problems.push(`unclosed elements: ${stack.join(' > ')}`);
  if (mode === 'xml' && roots !== 1) problems.push(`expected one root element, found ${roots}`);
  return problems;
}

/**
 * Code points a report must not contain, as "U+XXXX": those XML 1.0 forbids (most C0
 * controls, lone surrogates, U+FFFE, U+FFFF) and DEL and C1 controls, which HTML flags.
 */
export function forbiddenChars(doc: string): string[] {
  const found = new Set<string>();
  for (const ch of doc) {
    const cp = ch.codePointAt(0) ?? 0;
    const allowed =
      cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || cp >= 0x10000;
    if (!allowed) found.add(`U+${cp.toString(16).toUpperCase().padStart(4, '0')}`);
  }
  return [...found];
}

interface StartTag {
  name: string;
  length: number;
  selfClosing: boolean;
  problems: string[];
}

/** Parses `<name a="v" …>` or `<name …/>` at the start of text, or says why it cannot. */
function parseStartTag(text: string, entity: RegExp): StartTag | string {
  const nameMatch = NAME.exec(text.slice(1));
  if (!nameMatch) return 'stray "<"';
  const name = nameMatch[0];
  const problems: string[] = [];
  const seen = new Set<string>();
  let i = 1 + name.length;
  for (;;) {
    const space = /^\s*/.exec(text.slice(i))?.[0].length ?? 0;
    i += space;
    if (text.startsWith('/>', i)) return { name, length: i + 2, selfClosing: true, problems };
    if (text.startsWith('>', i)) return { name, length: i + 1, selfClosing: false, problems };
    if (space === 0) return 'missing space between attributes';
    const attr = /^([A-Za-z_:][A-Za-z0-9_:.-]*)="([^"]*)"/.exec(text.slice(i));
    if (!attr) return 'attribute without a double-quoted value';
    const [whole, attrName = '', value = ''] = attr;
    if (seen.has(attrName)) problems.push(`duplicate attribute ${attrName}`);
    seen.add(attrName);
    if (value.includes('<')) problems.push(`"<" in attribute ${attrName}`);
    for (let k = value.indexOf('&'); k !== -1; k = value.indexOf('&', k + 1)) {
      if (!entity.test(value.slice(k))) problems.push(`bare "&" in attribute ${attrName}`);
    }
    i += whole.length;
  }
}

/** Decodes the entities this project's escaping produces, to compare attribute values with plain text. */
export function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_m, ref: string) => {
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (ref in named) return named[ref] ?? '';
    return String.fromCodePoint(ref.startsWith('#x') ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10));
  });
}

/** The attributes of every start tag named `name`, decoded. */
export function startTags(doc: string, name: string): Array<Record<string, string>> {
  const tags: Array<Record<string, string>> = [];
  const pattern = new RegExp(`<${name}((?:\\s+[A-Za-z_:][A-Za-z0-9_:.-]*="[^"]*")*)\\s*/?>`, 'g');
  for (const match of doc.matchAll(pattern)) {
    const attrs: Record<string, string> = {};
    for (const attr of (match[1] ?? '').matchAll(/([A-Za-z_:][A-Za-z0-9_:.-]*)="([^"]*)"/g)) {
      attrs[attr[1] ?? ''] = decodeEntities(attr[2] ?? '');
    }
    tags.push(attrs);
  }
  return tags;
}
