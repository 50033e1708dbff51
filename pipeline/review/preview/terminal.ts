// The summary as short lines for a terminal.
import type { PreviewSummary } from './model';
import { errorCount, riskyCount } from './summary';
import { countPhrases, plural } from './wording';

/** One line per stack for a terminal: `dev: 1 to replace, 2 to update, 40 unchanged (1 risky)`. */
export function renderText(summary: PreviewSummary): string[] {
  return summary.stacks.map((s) => {
    if (s.error !== undefined) return `${s.stack}: preview failed: ${s.error.split('\n')[0]}`;
    const parts = countPhrases(s);
    const risky = riskyCount(s);
    const errors = errorCount(s);
    const notes = [risky ? `${risky} risky` : '', errors ? plural(errors, 'error') : ''].filter(Boolean);
    const changed = s.changes.length > 0 ? parts.join(', ') : `no changes${s.counts.same ? ` (${s.counts.same} unchanged)` : ''}`;
    return `${s.stack}: ${changed}${notes.length ? ` (${notes.join(', ')})` : ''}`;
  });
}
