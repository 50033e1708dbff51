// The summary as short lines for a terminal.
import { OP_ORDER, type PreviewSummary } from './model';
import { OP_WORDS, plural } from './wording';

/** One line per stack for a terminal: `dev: 1 to replace, 2 to update, 40 unchanged (1 risky)`. */
export function renderText(summary: PreviewSummary): string[] {
  return summary.stacks.map((s) => {
    if (s.error !== undefined) return `${s.stack}: preview failed: ${s.error.split('\n')[0]}`;
    const parts = OP_ORDER.filter((op) => (s.counts[op] ?? 0) > 0).map((op) => `${s.counts[op]} ${s.kind === 'update' ? OP_WORDS[op].past : OP_WORDS[op].verb}`);
    if (s.counts.same) parts.push(`${s.counts.same} unchanged`);
    const risky = s.changes.filter((c) => (c.op === 'replace' || c.op === 'delete') && c.risk).length;
    const errors = s.diagnostics.filter((d) => d.severity === 'error').length;
    const notes = [risky ? `${risky} risky` : '', errors ? plural(errors, 'error') : ''].filter(Boolean);
    const changed = s.changes.length > 0 ? parts.join(', ') : `no changes${s.counts.same ? ` (${s.counts.same} unchanged)` : ''}`;
    return `${s.stack}: ${changed}${notes.length ? ` (${notes.join(', ')})` : ''}`;
  });
}
