// Markdown that shows any text literally: code spans, fenced blocks, HTML escaping.

/**
 * An inline code span that shows `text` literally: a fence longer than any backtick run inside, no
 * line breaks; in a table cell, pipes are escaped (GFM unescapes `\|` inside code spans in tables).
 */
export function code(text: string, inTable = false): string {
  let t = text.replace(/\r?\n/g, '⏎');
  if (inTable) t = t.replace(/\|/g, '\\|');
  const longest = Math.max(0, ...[...t.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = t.startsWith('`') || t.endsWith('`') || (t.startsWith(' ') && t.endsWith(' ') && t.trim() !== '') ? ' ' : '';
  return t === '' ? '` `' : `${fence}${pad}${t}${pad}${fence}`;
}

/** A fenced block that nothing inside can close. */
export function fenced(text: string): string[] {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return [`${fence}text`, text, fence];
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
