// One stack's section of the comment: errors and warnings, counts, the replacements-and-deletions
// table, other changes grouped by type, and the rows of the full list (cut to size by the caller).
import { code, escapeHtml, fenced } from './markdownSyntax';
import type { Diagnostic, ResourceChange, StackPreview } from './model';
import { capLines, capList, countPhrases, plural } from './wording';

/** Rows in a stack's "replacements and deletions" table before the rest is counted. */
export const MAX_ATTENTION_ROWS = 30;
/** Type rows in a stack's grouped table. */
export const MAX_GROUP_ROWS = 20;
/** Names shown per type in the grouped table. */
const MAX_GROUP_NAMES = 4;
/** Properties shown per resource in the full list. */
export const MAX_PROPERTIES = 6;
const MAX_DIAGNOSTICS = 8;
const MAX_DIAGNOSTIC_LINES = 12;
const MAX_DIAGNOSTIC_CHARS = 1200;
const MAX_ERROR_LINES = 20;

export interface StackBody {
  /** Heading, diagnostics, counts, attention table, grouped table. */
  top: string;
  detailsHead: string;
  /** Full list rows, each one line. */
  rows: string[];
}

export function stackBody(s: StackPreview): StackBody {
  const lines: string[] = [`### ${code(s.stack)}`, ''];
  if (s.kind === 'update') lines.push('_From the log of an update: these changes have already been applied._', '');
  if (s.error !== undefined) {
    lines.push('**❌ The preview failed:**', '', ...fenced(capLines(s.error, MAX_ERROR_LINES)), '');
  }
  lines.push(...diagnosticsBlock(s.diagnostics));
  const countLine = countPhrases(s);
  if (s.changes.length === 0) {
    if (s.error === undefined && s.diagnostics.some((d) => d.severity === 'error')) lines.push('No changes could be listed: see the errors above.', '');
    else if (s.error === undefined) lines.push(`No changes${s.counts.same ? ` (${s.counts.same} resources unchanged)` : ''}.`, '');
    return { top: lines.join('\n'), detailsHead: '', rows: [] };
  }
  lines.push(`**${countLine.join(' · ')}**`, '');

  const attention = s.changes.filter((c) => c.op === 'replace' || c.op === 'delete');
  if (attention.length > 0) {
    lines.push(`#### Replacements and deletions (${attention.length})`, '');
    lines.push('| | Resource | Type | Why it matters |', '| --- | --- | --- | --- |');
    for (const c of attention.slice(0, MAX_ATTENTION_ROWS)) {
      const why: string[] = [];
      if (c.risk) why.push(`**${c.risk.kind === 'traffic' ? 'carries traffic' : 'holds data'}**: ${c.risk.what}`);
      if (c.op === 'replace' && c.deleteBeforeReplace) why.push('deleted **before** its replacement exists');
      if (c.op === 'replace' && c.replaceReasons.length > 0) why.push(`forced by ${capList(c.replaceReasons.map((r) => code(r, true)), MAX_PROPERTIES)}`);
      const mark = c.risk ? '⚠️ ' : '';
      lines.push(`| ${mark}**${c.op}**${c.failed ? ' ❌' : ''} | ${code(c.name, true)} | ${code(c.shortType, true)} | ${why.join('; ') || '—'} |`);
    }
    if (attention.length > MAX_ATTENTION_ROWS) lines.push('', `… and ${attention.length - MAX_ATTENTION_ROWS} more replacements and deletions (full list below).`);
    lines.push('');
  }

  const rest = s.changes.filter((c) => c.op !== 'replace' && c.op !== 'delete');
  if (rest.length > 0) {
    lines.push(`#### Other changes by type (${rest.length})`, '');
    lines.push('| Type | Operation | Count | Resources |', '| --- | --- | ---: | --- |');
    const groups = new Map<string, ResourceChange[]>();
    // Pushed in place: copying the group per change made 70,000 changes of one type quadratic.
    for (const c of rest) {
      const key = `${c.op}\u0000${c.shortType}`;
      const group = groups.get(key);
      if (group) group.push(c);
      else groups.set(key, [c]);
    }
    const sorted = [...groups.values()].sort((a, b) => b.length - a.length);
    for (const g of sorted.slice(0, MAX_GROUP_ROWS)) {
      const c = g[0]!;
      lines.push(`| ${code(c.shortType, true)} | ${c.op} | ${g.length} | ${capList(g.map((x) => code(x.name, true)), MAX_GROUP_NAMES)} |`);
    }
    if (sorted.length > MAX_GROUP_ROWS) {
      const hidden = sorted.slice(MAX_GROUP_ROWS).reduce((n, g) => n + g.length, 0);
      lines.push('', `… and ${hidden} more in ${sorted.length - MAX_GROUP_ROWS} other groups (full list below).`);
    }
    lines.push('');
  }

  const detailsHead = [
    `<details><summary>All ${plural(s.changes.length, 'change')} in ${escapeHtml(s.stack)}</summary>`,
    '',
    '| Operation | Resource | Type | Changed properties |',
    '| --- | --- | --- | --- |',
    '',
  ].join('\n');
  const rows = s.changes.map((c) => `| ${c.risk && (c.op === 'replace' || c.op === 'delete') ? '⚠️ ' : ''}${c.op}${c.failed ? ' ❌ failed' : ''} | ${code(c.name, true)} | ${code(c.shortType, true)} | ${propertiesCell(c)} |`);
  return { top: lines.join('\n'), detailsHead, rows };
}

function propertiesCell(c: ResourceChange): string {
  if (c.properties.length === 0) return c.op === 'create' || c.op === 'delete' ? '' : '—';
  const shown = c.properties.slice(0, MAX_PROPERTIES).map((p) => {
    const sign = p.kind.startsWith('add') ? '+' : p.kind.startsWith('delete') ? '−' : '~';
    let text = `${sign} ${code(p.path, true)}`;
    if (p.old !== undefined && p.new !== undefined) text += ` ${code(p.old, true)} → ${code(p.new, true)}`;
    else if (p.new !== undefined) text += ` ${code(p.new, true)}`;
    else if (p.old !== undefined) text += ` was ${code(p.old, true)}`;
    if (p.replaces) text += ' **(replaces)**';
    return text;
  });
  const more = c.properties.length - MAX_PROPERTIES;
  return shown.join('<br>') + (more > 0 ? `<br>+${more} more` : '');
}

function diagnosticsBlock(diags: readonly Diagnostic[]): string[] {
  const lines: string[] = [];
  for (const severity of ['error', 'warning'] as const) {
    const list = diags.filter((d) => d.severity === severity);
    if (list.length === 0) continue;
    lines.push(`**${severity === 'error' ? '❌ Errors' : '⚠️ Warnings'} (${list.length})**`, '');
    for (const d of list.slice(0, MAX_DIAGNOSTICS)) {
      if (d.resource) lines.push(`${code(d.resource)}:`, '');
      lines.push(...fenced(capLines(d.message, MAX_DIAGNOSTIC_LINES, MAX_DIAGNOSTIC_CHARS)), '');
    }
    if (list.length > MAX_DIAGNOSTICS) lines.push(`… and ${list.length - MAX_DIAGNOSTICS} more ${severity}s.`, '');
  }
  return lines;
}
