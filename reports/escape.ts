/**
 * Escaping shared by the XML and HTML reporters. Journal text comes from scenario
 * files, target responses and error messages, so every string is treated as hostile.
 */

/**
 * Characters a report must not contain: everything XML 1.0 forbids (C0 controls other
 * than tab, LF and CR; lone surrogates; U+FFFE and U+FFFF), plus DEL and the C1
 * controls, which XML 1.0 discourages and HTML parsers flag as errors.
 */
const FORBIDDEN_CHARS = /[^\t\n\r\u0020-\u007E\u00A0-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Removes characters that may not appear in an XML 1.0 or HTML document. */
export function stripForbiddenChars(text: string): string {
  return text.replace(FORBIDDEN_CHARS, '');
}

/** Escapes text for element content or a quoted attribute value in HTML, and for XML element content. */
export function escapeMarkup(text: string): string {
  return stripForbiddenChars(text).replace(/[&<>"']/g, (ch) => ENTITIES[ch] ?? ch);
}

/**
 * Escapes an XML attribute value. Tab, LF and CR become character references, because
 * XML parsers turn literal ones inside attributes into plain spaces.
 */
export function escapeXmlAttr(text: string): string {
  return escapeMarkup(text).replace(/[\t\n\r]/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
