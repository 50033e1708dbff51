// Plan diffs: what differs between two offline plans — resources added, removed and changed, each
// changed input as a property path with before → after — and their rendering. Pure; refDiff.ts
// plans a git ref and the working tree and diffs them with this. Secrets are compared by value but
// never come out: a changed secret is `[secret] → [secret]`.
import type { Plan, PlannedResource } from './plan';
import { formatPath, isObject, isSecret, nameOfUrn, SECRET_TEXT, showValue, SIG, SIG_SECRET } from './values';

// ---------------------------------------------------------------------------------------------
// The pure diff

/** One value that differs between two sides (not a preview's PropertyChange, which is display text). */
export interface ValueChange {
  /** Property path as Pulumi writes it: `healthCheck.interval`, `tags["cost-center"]`, `subnets[2]`. */
  path: string;
  /** Absent when the property is not set on that side. */
  before?: unknown;
  after?: unknown;
}

export interface ResourceRef {
  urn: string;
  type: string;
  name: string;
}

/** A resource on both sides whose inputs, parent or dependencies differ. */
export interface ChangedResource extends ResourceRef {
  changes: ValueChange[];
}

export interface PlanDiff {
  /** Only in the second plan. */
  added: ResourceRef[];
  /** Only in the first plan. */
  removed: ResourceRef[];
  changed: ChangedResource[];
  /** Stack outputs that differ, by output name and path. */
  outputs: ValueChange[];
}

export interface DiffOptions {
  /** When two strings count as the same (default `===`); parity passes one that ignores the stack name. */
  sameString?: (a: string, b: string) => boolean;
  /** Output names left out (e.g. `configHash`, which changes with any configuration change). */
  ignoreOutputs?: readonly string[];
}

/** Pseudo-paths for what is not an input: where a resource sits and what it waits for. */
export const PARENT_PATH = '[parent]';
export const DEPENDENCIES_PATH = '[dependencies]';

/**
 * Resources matched by URN (then, for those left, by `sameString` on the URN); inputs compared after
 * `normalise`. Results keep the order of the plans.
 */
export function diffPlans(before: Plan, after: Plan, opts: DiffOptions = {}): PlanDiff {
  const same = opts.sameString ?? ((a: string, b: string) => a === b);
  const unmatched = new Map(after.resources.map((r) => [r.urn, r]));
  const pairs: [PlannedResource, PlannedResource | undefined][] = before.resources.map((b) => {
    const a = unmatched.get(b.urn);
    if (a) unmatched.delete(b.urn);
    return [b, a];
  });
  for (const pair of pairs) {
    if (pair[1]) continue;
    const found = [...unmatched.values()].find((r) => same(pair[0].urn, r.urn));
    if (found) {
      unmatched.delete(found.urn);
      pair[1] = found;
    }
  }

  const diff: PlanDiff = { added: [], removed: [], changed: [], outputs: [] };
  for (const [b, a] of pairs) {
    if (!a) {
      diff.removed.push(refOf(b));
      continue;
    }
    const changes: ValueChange[] = [];
    walk(normalise(b.inputs), normalise(a.inputs), [], changes, same);
    if (!sameOptional(b.parent, a.parent, same)) changes.push(change([PARENT_PATH], nameOfUrn(b.parent), nameOfUrn(a.parent)));
    const depsBefore = (b.dependencies ?? []).map(nameOfUrn).sort();
    const depsAfter = (a.dependencies ?? []).map(nameOfUrn).sort();
    if (!sameList(depsBefore, depsAfter, same)) changes.push(change([DEPENDENCIES_PATH], depsBefore, depsAfter));
    if (changes.length > 0) diff.changed.push({ ...refOf(a), changes });
  }
  for (const a of after.resources) if (unmatched.has(a.urn)) diff.added.push(refOf(a));

  const ignored = new Set(opts.ignoreOutputs ?? []);
  const outputsOf = (p: Plan) => Object.fromEntries(Object.entries(p.outputs).filter(([k]) => !ignored.has(k)));
  walk(normalise(outputsOf(before)), normalise(outputsOf(after)), [], diff.outputs, same);
  return diff;
}

export function isEmptyDiff(d: PlanDiff): boolean {
  return d.added.length + d.removed.length + d.changed.length + d.outputs.length === 0;
}

/** An empty plan: the other side of a stack that exists on one side only. */
export function emptyPlan(stack: string): Plan {
  return { stack, resources: [], outputs: {} };
}

/**
 * Values as they compare: JSON documents held in strings (task definitions, policies) parsed so a
 * change shows the property inside them, unset keys dropped, keys sorted. A secret stays one (its
 * value normalised inside), so the walk can compare it without showing it.
 */
export function normalise(value: unknown): unknown {
  if (typeof value === 'string') {
    const t = value.trim();
    if ((t.startsWith('{') && t.endsWith('}')) || (t.startsWith('[') && t.endsWith(']'))) {
      try {
        return normalise(JSON.parse(t));
      } catch {
        return value;
      }
    }
    return value;
  }
  if (Array.isArray(value)) return value.map(normalise);
  if (isObject(value)) {
    if (value[SIG] === SIG_SECRET) return { [SIG]: SIG_SECRET, value: normalise(value.value) };
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) if (value[k] !== undefined) out[k] = normalise(value[k]);
    return out;
  }
  return value;
}

/** Appends one change per differing leaf (a whole value where the shapes differ). */
export function diffValues(before: unknown, after: unknown, sameString?: (a: string, b: string) => boolean): ValueChange[] {
  const out: ValueChange[] = [];
  walk(normalise(before), normalise(after), [], out, sameString ?? ((a, b) => a === b));
  return out;
}

function walk(a: unknown, b: unknown, path: (string | number)[], out: ValueChange[], same: (a: string, b: string) => boolean): void {
  if (a === undefined && b === undefined) return;
  if (isSecret(a) || isSecret(b)) {
    // Compared inside, reported as one masked change: neither side's value may show. Two engine masks
    // (`[secret]`) have no inside: they compare as they are.
    const inner: ValueChange[] = [];
    const [ua, ub] = [unwrapSecret(a), unwrapSecret(b)];
    if (ua === a && ub === b) {
      if (a !== b) inner.push(change(path, SECRET_TEXT, SECRET_TEXT));
    } else walk(ua, ub, [], inner, same);
    if (inner.length > 0) out.push(change(path, a === undefined ? undefined : SECRET_TEXT, b === undefined ? undefined : SECRET_TEXT));
    return;
  }
  if (typeof a === 'string' && typeof b === 'string') {
    if (!same(a, b)) out.push(change(path, a, b));
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) walk(a[i], b[i], [...path, i], out, same);
    return;
  }
  if (isObject(a) && isObject(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) walk(a[k], b[k], [...path, k], out, same);
    return;
  }
  if (a !== b) out.push(change(path, a, b));
}

function change(path: (string | number)[], before: unknown, after: unknown): ValueChange {
  return { path: formatPath(path), ...(before !== undefined ? { before } : {}), ...(after !== undefined ? { after } : {}) };
}

function unwrapSecret(v: unknown): unknown {
  return isObject(v) && v[SIG] === SIG_SECRET ? v.value : v;
}

function sameOptional(a: string | undefined, b: string | undefined, same: (a: string, b: string) => boolean): boolean {
  return a === undefined || b === undefined ? a === b : same(a, b);
}

function sameList(a: string[], b: string[], same: (a: string, b: string) => boolean): boolean {
  return a.length === b.length && a.every((x, i) => same(x, b[i]!));
}

function refOf(r: PlannedResource): ResourceRef {
  return { urn: r.urn, type: r.type, name: r.name };
}

// ---------------------------------------------------------------------------------------------
// Rendering

/** A diff line has room for longer values than a preview's table cell. */
const MAX_VALUE = 80;

export function showChange(c: ValueChange): string {
  const { before: b, after: a } = c;
  if (c.path === DEPENDENCIES_PATH && Array.isArray(b) && Array.isArray(a)) {
    const gone = b.filter((x) => !a.includes(x)).map((x) => `-${String(x)}`);
    const come = a.filter((x) => !b.includes(x)).map((x) => `+${String(x)}`);
    return `${c.path}: ${[...come, ...gone].join(' ')}`;
  }
  if (typeof b === 'string' && typeof a === 'string' && !isSecret(a) && !isSecret(b) && Math.max(b.length, a.length) > MAX_VALUE - 2) {
    // Long strings (commands, scripts): show both from a little before where they first differ.
    let i = 0;
    while (i < b.length && b[i] === a[i]) i++;
    const from = Math.max(0, i - 20);
    const cut = (s: string) => `${from > 0 ? '…' : ''}${JSON.stringify(s.slice(from, from + MAX_VALUE)).slice(1, -1)}${s.length > from + MAX_VALUE ? '…' : ''}`;
    return `${c.path}: "${cut(b)}" → "${cut(a)}"`;
  }
  return `${c.path}: ${showValue(b, MAX_VALUE)} → ${showValue(a, MAX_VALUE)}`;
}

/** `+`/`-`/`~` lines per resource, each changed property indented below its resource. */
export function renderPlanDiff(d: PlanDiff, indent = '  '): string[] {
  const lines: string[] = [];
  for (const r of d.added) lines.push(`${indent}+ ${r.type}  ${r.name}`);
  for (const r of d.removed) lines.push(`${indent}- ${r.type}  ${r.name}`);
  for (const r of d.changed) {
    lines.push(`${indent}~ ${r.type}  ${r.name}`);
    for (const c of r.changes) lines.push(`${indent}    ${showChange(c)}`);
  }
  if (d.outputs.length > 0) {
    lines.push(`${indent}~ outputs`);
    for (const c of d.outputs) lines.push(`${indent}    ${showChange(c)}`);
  }
  return lines;
}

export function summary(d: PlanDiff): string {
  return `${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} changed${d.outputs.length ? `, ${d.outputs.length} output${d.outputs.length === 1 ? '' : 's'} changed` : ''}`;
}
