// The whole summary as one GitHub comment: an overview table, then one section per stack, with the
// full lists cut to fit GitHub's comment size limit.
import { code } from './markdownSyntax';
import type { PreviewSummary, StackPreview } from './model';
import { stackBody } from './stackSection';
import { errorCount, riskyCount } from './summary';
import { plural } from './wording';

/** The hidden line a CI job looks for to update its one comment instead of adding another. */
export const PREVIEW_MARKER = '<!-- slipway-preview -->';
/** GitHub refuses comments over 65,536 characters; stay clear of it. */
export const DEFAULT_MAX_CHARS = 60_000;

export interface RenderOptions {
  /** Upper bound of the whole document; full lists are cut (with a count) to fit. */
  maxChars?: number;
  /** First heading; default "Infrastructure preview". */
  title?: string;
}

/** The whole summary as one GitHub-flavoured Markdown comment, at most `maxChars` long. */
export function renderMarkdown(summary: PreviewSummary, opts: RenderOptions = {}): string {
  const maxChars = opts.maxChars ?? DEFAULT_MAX_CHARS;
  const head = [PREVIEW_MARKER, `## ${opts.title ?? 'Infrastructure preview'}`, ''];
  if (summary.stacks.length === 0) return [...head, 'No stacks were previewed.', ''].join('\n');
  head.push(...overviewTable(summary.stacks), '');
  const bodies = summary.stacks.map(stackBody);
  // Full lists share what the fixed parts leave, stack by stack; what a stack leaves over passes on.
  const closing = `</details>\n`;
  let fixed = head.join('\n').length;
  // Each stack's fixed text, its details wrapper and room for the "… and N more" line.
  for (const b of bodies) fixed += b.top.length + 1 + (b.rows.length > 0 ? b.detailsHead.length + closing.length + 200 : 0);
  let left = Math.max(0, maxChars - fixed);
  const out = [head.join('\n')];
  bodies.forEach((b, i) => {
    out.push(b.top);
    if (b.rows.length === 0) return;
    const share = Math.floor(left / bodies.slice(i).filter((x) => x.rows.length > 0).length);
    let used = 0;
    let shown = 0;
    const rows: string[] = [];
    for (const row of b.rows) {
      if (used + row.length + 1 > share) break;
      rows.push(row);
      used += row.length + 1;
      shown++;
    }
    left -= used;
    const cut = b.rows.length - shown;
    out.push(b.detailsHead + rows.join('\n') + '\n');
    if (cut > 0) out.push(`\n… and ${cut} more not shown here (comment size limit); \`slipway preview --json\` lists them all.\n`);
    out.push(closing);
  });
  return out.join('\n').replace(/\n{3,}/g, '\n\n');
}

function overviewTable(stacks: readonly StackPreview[]): string[] {
  const rows = [
    '| Stack | Create | Update | Replace | Delete | Unchanged | Notes |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const s of stacks) {
    const n = (k: string) => String(s.counts[k] ?? 0);
    const notes: string[] = [];
    if (s.error !== undefined) notes.push('❌ preview failed');
    const errors = errorCount(s);
    const warnings = s.diagnostics.length - errors;
    if (errors && s.error === undefined) notes.push(`❌ ${plural(errors, 'error')}`);
    if (warnings) notes.push(`${plural(warnings, 'warning')}`);
    const risky = riskyCount(s);
    if (risky) notes.push(`⚠️ ${risky} risky ${risky === 1 ? 'replacement or deletion' : 'replacements or deletions'}`);
    if (s.kind === 'update') notes.push('already applied');
    if (notes.length === 0) notes.push(s.changes.length === 0 && s.error === undefined ? 'no changes' : '');
    const counts = s.error !== undefined && s.changes.length === 0 ? ['–', '–', '–', '–', '–'] : [n('create'), n('update'), n('replace'), n('delete'), n('same')];
    rows.push(`| ${code(s.stack, true)} | ${counts.join(' | ')} | ${notes.filter(Boolean).join('; ')} |`);
  }
  return rows;
}
