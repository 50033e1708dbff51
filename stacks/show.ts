// How a value or a key appears in an error line. The one place that cuts long input: a 5 MB value in
// a stack file or on the command line must not come back whole in a one-line message.

/** Longest value or key shown in an error line, in characters (the cut ends in `…`). */
export const SHOWN_VALUE_MAX = 80;

/** `s` on one line, cut to `max` characters with `…` when longer. */
export function clip(s: string, max = SHOWN_VALUE_MAX): string {
  // Line breaks become spaces and other control characters `?`: an error line is one line, and
  // terminal escape codes from a file must not reach the terminal.
  const flat = (s.length > max + 1 ? s.slice(0, max + 1) : s).replace(/[\r\n\t]+/g, ' ').replace(/[\x00-\x1f\x7f-\x9f]/g, '?');
  return s.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** A value as an error line shows it: strings quoted, the rest as JSON, long ones cut. */
export function show(v: unknown): string {
  if (v === undefined) return 'missing';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (typeof v === 'bigint') return clip(String(v));
  return clip(JSON.stringify(preview(v, 3)) ?? String(v));
}

/** What kind of value `v` is, as a person would say it: `a string`, `a list`, `a mapping`. */
export function kindOf(v: unknown): string {
  if (v === null) return 'empty (null)';
  if (Array.isArray(v)) return 'a list';
  switch (typeof v) {
    case 'string':
      return 'a string';
    case 'number':
      return Number.isInteger(v) ? 'a whole number' : 'a number';
    case 'boolean':
      return 'a boolean';
    case 'object':
      return 'a mapping';
    default:
      return `a ${typeof v}`;
  }
}

// Enough of `v` to fill one line: stringifying a 5 MB string or a 50,000-entry mapping only to cut
// it at 80 characters is wasted work.
function preview(v: unknown, depth: number): unknown {
  const room = SHOWN_VALUE_MAX + 2;
  if (typeof v === 'string') return v.length > room ? v.slice(0, room) : v;
  if (v === null || typeof v !== 'object') return v;
  if (depth === 0) return Array.isArray(v) ? ['…'] : { '…': '…' };
  if (Array.isArray(v)) return v.slice(0, room / 2).map((x) => preview(x, depth - 1));
  const keys = Object.keys(v).slice(0, room / 2);
  return Object.fromEntries(keys.map((k) => [k.length > room ? k.slice(0, room) : k, preview((v as Record<string, unknown>)[k], depth - 1)]));
}
