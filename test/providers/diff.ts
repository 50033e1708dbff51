// The diff both doubles answer with, from a table of property rules: which properties changed, and
// whether each change updates in place or needs a new object. Pure, so the tables are tested directly.
import { containsUnknown, deepEqual, type DiffKind, type DoubleDiffResult } from './common';

export interface PropertyRule {
  /** A change needs a new object (Terraform's ForceNew): the diff lists the property in `replaces`. */
  replace: boolean;
  /**
   * Optional and computed: an input that is absent keeps whatever the object has, so it is not a
   * change (Terraform's Optional+Computed, e.g. a container's env).
   */
  computed?: boolean;
  /** What an absent value means, e.g. `restart: 'no'`; both sides are defaulted before comparing. */
  default?: unknown;
  /** Canonical form to compare, e.g. a set sorted; the default compares values as they are. */
  normalize?: (v: unknown) => unknown;
}

export interface DiffOptions {
  /**
   * Replacement deletes the old object first: set for objects whose fixed name two copies cannot
   * share (a Docker container, a named network).
   */
  deleteBeforeReplace?: boolean;
}

/**
 * Compares `olds` (the object as the state or the last read has it) with `news` (checked inputs) over
 * `keys`, each by its rule. A value the engine does not know yet (preview) counts as changed, as
 * Terraform plans "known after apply": so a forcing property that depends on a replaced resource
 * shows as a replacement in the preview already.
 */
export function diffProperties(
  keys: Iterable<string>,
  ruleOf: (key: string) => PropertyRule,
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
  opts: DiffOptions = {},
): DoubleDiffResult {
  const detailedDiff: Record<string, DiffKind> = {};
  const replaces: string[] = [];
  for (const key of new Set(keys)) {
    const rule = ruleOf(key);
    const oldValue = olds[key] ?? rule.default;
    const newRaw = news[key];
    if (newRaw === undefined && rule.computed) continue;
    const newValue = newRaw ?? rule.default;
    if (!containsUnknown(newValue)) {
      const norm = rule.normalize ?? ((v: unknown) => v);
      if (deepEqual(norm(oldValue), norm(newValue))) continue;
    }
    const base: 'add' | 'delete' | 'update' = oldValue === undefined ? 'add' : newValue === undefined ? 'delete' : 'update';
    detailedDiff[key] = rule.replace ? `${base}-replace` : base;
    if (rule.replace) replaces.push(key);
  }
  const changed = Object.keys(detailedDiff);
  return {
    changes: changed.length > 0,
    replaces,
    deleteBeforeReplace: replaces.length > 0 && Boolean(opts.deleteBeforeReplace),
    detailedDiff,
  };
}

/** Normalizer for a list whose order does not matter (Terraform TypeSet): sorted canonical JSON. */
export function asSet(v: unknown): unknown {
  if (!Array.isArray(v)) return v;
  return v.map((x) => canonicalJson(x)).sort();
}

/** JSON with object keys sorted and `undefined` members dropped, so equal values print equally. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
