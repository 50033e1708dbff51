// How changes are put into words, shared by the Markdown and the terminal lines.
import { OP_ORDER, type ChangeOp, type StackPreview } from './model';

const OP_WORDS: Record<ChangeOp, { verb: string; past: string }> = {
  create: { verb: 'to create', past: 'created' },
  update: { verb: 'to update', past: 'updated' },
  replace: { verb: 'to replace', past: 'replaced' },
  delete: { verb: 'to delete', past: 'deleted' },
  import: { verb: 'to import', past: 'imported' },
};

/** `2 to replace`, `1 to update`, …, `40 unchanged` (past tense for the log of an update). */
export function countPhrases(s: StackPreview): string[] {
  const words = (op: ChangeOp) => (s.kind === 'update' ? OP_WORDS[op].past : OP_WORDS[op].verb);
  const parts = OP_ORDER.filter((op) => (s.counts[op] ?? 0) > 0).map((op) => `${s.counts[op]} ${words(op)}`);
  if (s.counts.same) parts.push(`${s.counts.same} unchanged`);
  return parts;
}

export function capLines(text: string, maxLines: number, maxChars = Infinity): string {
  let lines = text.split('\n');
  let note = '';
  if (lines.length > maxLines) {
    note = `… (${lines.length - maxLines} more lines)`;
    lines = lines.slice(0, maxLines);
  }
  let out = lines.join('\n');
  if (out.length > maxChars) {
    out = `${out.slice(0, maxChars)}…`;
  }
  return note ? `${out}\n${note}` : out;
}

export function capList(items: readonly string[], max: number): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
