// Parity reports as text: the knobs that differ, each with the differences it explains, then the
// undeclared ones with why each is one.
import { isWithin } from './values';
import type { ParityDifference, ParityReport } from './parity';
import { showChange, type ValueChange } from './planDiff';
import { showValue } from './values';

export function renderParity(r: ParityReport): string[] {
  const [a, b] = r.stacks;
  const total = r.declared.length + r.undeclared.length;
  const head = `Parity of ${a} and ${b} (${r.target}): ${total} difference${total === 1 ? '' : 's'}`;
  const lines = [
    r.undeclared.length === 0
      ? `${head}${total > 0 ? ', all from declared knobs' : ''}`
      : `${head}: ${r.declared.length} from declared knobs, ${r.undeclared.length} undeclared`,
  ];
  if (r.knobs.length === 0) lines.push('', 'The two stacks set every knob alike.');
  const shown = new Set<ParityDifference>();
  for (const k of r.knobs) {
    lines.push('', `${k.knob}: ${k.changes.map((c) => (c.path ? `${c.path} ` : '') + `${showValue(c.before)} → ${showValue(c.after)}`).join(', ')}`);
    const mine = r.declared.filter((d) => !shown.has(d) && d.knobs.some((label) => isWithin(label, k.knob)));
    if (mine.length === 0) lines.push('  no resource difference');
    for (const d of mine) {
      shown.add(d);
      const specific = d.knobs.filter((label) => label !== k.knob);
      lines.push(`  ${differenceLine(d, r.stacks)}${specific.length > 0 || d.knobs.length > 1 ? `  ← ${d.knobs.join(' + ')}` : ''}`);
    }
  }
  if (r.undeclared.length > 0) {
    lines.push('', `Undeclared — not explained by any knob of the schema (${r.undeclared.length}):`);
    for (const d of r.undeclared) lines.push(`  ${differenceLine(d, r.stacks)}`, `      ${d.reason ?? ''}`);
  }
  lines.push('', ...r.notes);
  return lines;
}

function differenceLine(d: ParityDifference, [a, b]: [string, string]): string {
  const c: ValueChange = { path: d.path ?? '', ...(d.a !== undefined ? { before: d.a } : {}), ...(d.b !== undefined ? { after: d.b } : {}) };
  switch (d.kind) {
    case 'added':
      return `+ ${d.type}  ${d.name}  (only in ${b})`;
    case 'removed':
      return `- ${d.type}  ${d.name}  (only in ${a})`;
    case 'config':
      return `~ ${d.type}.${showChange(c)}`;
    default:
      return d.type === 'outputs' ? `~ outputs  ${showChange(c)}` : `~ ${d.type}  ${d.name}  ${showChange(c)}`;
  }
}
