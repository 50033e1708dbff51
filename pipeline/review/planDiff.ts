// Plan diffs: what differs between two offline plans — resources added, removed and changed, each
// changed input as a property path with before → after — and, for `slipway plan --diff BASE_REF`,
// the same per stack between the working tree and a git ref. Both sides are planned in a child
// process: the SDK's mock runtime and the module cache are process-global, and each side must run
// its own code, not the code of the process that asks.
import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UserError } from '../cli/errors';
import type { Plan, PlannedResource, PlanResult } from './plan';

// ---------------------------------------------------------------------------------------------
// The pure diff

export interface PropertyChange {
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

export interface ResourceChange extends ResourceRef {
  changes: PropertyChange[];
}

export interface PlanDiff {
  /** Only in the second plan. */
  added: ResourceRef[];
  /** Only in the first plan. */
  removed: ResourceRef[];
  changed: ResourceChange[];
  /** Stack outputs that differ, by output name and path. */
  outputs: PropertyChange[];
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
    const changes: PropertyChange[] = [];
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

const SECRET_SIG = '4dabf18193072939515e22adb298388d';

/**
 * Values as they compare: JSON documents held in strings (task definitions, policies) parsed so a
 * change shows the property inside them, secrets unwrapped, unset keys dropped, keys sorted.
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
    if (value[SECRET_SIG] !== undefined && 'value' in value) return normalise(value.value);
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) if (value[k] !== undefined) out[k] = normalise(value[k]);
    return out;
  }
  return value;
}

/** Appends one change per differing leaf (a whole value where the shapes differ). */
export function diffValues(before: unknown, after: unknown, sameString?: (a: string, b: string) => boolean): PropertyChange[] {
  const out: PropertyChange[] = [];
  walk(normalise(before), normalise(after), [], out, sameString ?? ((a, b) => a === b));
  return out;
}

function walk(a: unknown, b: unknown, path: (string | number)[], out: PropertyChange[], same: (a: string, b: string) => boolean): void {
  if (a === undefined && b === undefined) return;
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

function change(path: (string | number)[], before: unknown, after: unknown): PropertyChange {
  return { path: formatPath(path), ...(before !== undefined ? { before } : {}), ...(after !== undefined ? { after } : {}) };
}

/** `["healthCheck", "interval"]` → `healthCheck.interval`; `["tags", "cost-center"]` → `tags["cost-center"]`. */
export function formatPath(segments: readonly (string | number)[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(s) || /^\[\w+\]$/.test(s)) out += out ? `.${s}` : s;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
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

/** The logical name at the end of a URN. */
export function nameOfUrn<T extends string | undefined>(urn: T): T {
  return (urn === undefined ? undefined : urn.slice(urn.lastIndexOf('::') + 2)) as T;
}

// ---------------------------------------------------------------------------------------------
// Rendering

const MAX_VALUE = 80;

/** A value as the diff shows it: JSON, shortened; `(unset)` when absent. */
export function showValue(v: unknown): string {
  if (v === undefined) return '(unset)';
  const text = JSON.stringify(v) ?? String(v);
  return text.length <= MAX_VALUE ? text : `${text.slice(0, MAX_VALUE - 1)}…`;
}

export function showChange(c: PropertyChange): string {
  const { before: b, after: a } = c;
  if (c.path === DEPENDENCIES_PATH && Array.isArray(b) && Array.isArray(a)) {
    const gone = b.filter((x) => !a.includes(x)).map((x) => `-${String(x)}`);
    const come = a.filter((x) => !b.includes(x)).map((x) => `+${String(x)}`);
    return `${c.path}: ${[...come, ...gone].join(' ')}`;
  }
  if (typeof b === 'string' && typeof a === 'string' && Math.max(b.length, a.length) > MAX_VALUE - 2) {
    // Long strings (commands, scripts): show both from a little before where they first differ.
    let i = 0;
    while (i < b.length && b[i] === a[i]) i++;
    const from = Math.max(0, i - 20);
    const cut = (s: string) => `${from > 0 ? '…' : ''}${JSON.stringify(s.slice(from, from + MAX_VALUE)).slice(1, -1)}${s.length > from + MAX_VALUE ? '…' : ''}`;
    return `${c.path}: "${cut(b)}" → "${cut(a)}"`;
  }
  return `${c.path}: ${showValue(b)} → ${showValue(a)}`;
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

// ---------------------------------------------------------------------------------------------
// Working tree against a git ref

export type Side = 'base' | 'working tree';

export interface StackPlanDiff {
  stack: string;
  /** `added`/`removed`: the stack file exists only in the working tree / only at the ref. */
  status: 'added' | 'removed' | 'changed' | 'unchanged' | 'invalid';
  /** For `added`/`removed`, every resource of the environment as added/removed. */
  diff?: PlanDiff;
  /** For `invalid`: why a side could not be planned. */
  errors?: { side: Side; lines: string[] }[];
}

export interface RefPlanDiff {
  /** The ref as given, and the commit it names. */
  base: string;
  commit: string;
  stacks: StackPlanDiff[];
}

/** What the planner of one tree reports: its stack files, and a result for each stack asked for. */
export interface TreePlans {
  stacks: string[];
  plans: Record<string, PlanResult>;
}

/** Compares per stack; a stack absent on one side is a whole environment added or removed. */
export function diffTrees(base: TreePlans, work: TreePlans, only?: readonly string[]): StackPlanDiff[] {
  const names = [...new Set([...base.stacks, ...work.stacks])].filter((s) => !only || only.includes(s)).sort();
  return names.map((stack): StackPlanDiff => {
    const b = base.stacks.includes(stack) ? base.plans[stack] : undefined;
    const w = work.stacks.includes(stack) ? work.plans[stack] : undefined;
    const errors: { side: Side; lines: string[] }[] = [];
    if (b && !b.ok) errors.push({ side: 'base', lines: b.errors });
    if (w && !w.ok) errors.push({ side: 'working tree', lines: w.errors });
    if (errors.length > 0) return { stack, status: 'invalid', errors };
    const before = b?.ok ? b.plan : undefined;
    const after = w?.ok ? w.plan : undefined;
    if (!before && !after) return { stack, status: 'invalid', errors: [{ side: 'working tree', lines: ['the planner returned no plan'] }] };
    const diff = diffPlans(before ?? emptyPlan(stack), after ?? emptyPlan(stack));
    const status = !before ? 'added' : !after ? 'removed' : isEmptyDiff(diff) ? 'unchanged' : 'changed';
    return { stack, status, diff };
  });
}

export function renderRefDiff(r: RefPlanDiff): string[] {
  const lines = [`Plan diff: working tree against ${r.base} (${r.commit.slice(0, 12)})`, ''];
  for (const s of r.stacks) {
    const d = s.diff;
    if (s.status === 'added') lines.push(`${s.stack}: new environment (${d?.added.length ?? 0} resources)`);
    else if (s.status === 'removed') lines.push(`${s.stack}: environment removed (${d?.removed.length ?? 0} resources)`);
    else if (s.status === 'unchanged') lines.push(`${s.stack}: no changes`);
    else if (s.status === 'invalid') {
      lines.push(`${s.stack}: cannot be planned`);
      for (const e of s.errors ?? []) for (const l of e.lines) lines.push(`  ${e.side === 'base' ? r.base : 'working tree'}: ${l}`);
    } else if (d) {
      lines.push(`${s.stack}: ${summary(d)}`, ...renderPlanDiff(d));
    }
  }
  return lines;
}

export interface RefDiffOptions {
  /** The checkout: a git working tree holding stacks/. */
  cwd: string;
  base: string;
  /** Only these stacks (default: every stack file on either side). */
  stacks?: readonly string[];
}

/** Plans `base` and the working tree (in a child process) and diffs them per stack. */
export async function diffAgainstRef(opts: RefDiffOptions): Promise<RefPlanDiff> {
  const commit = await resolveCommit(opts.cwd, opts.base);
  const tree = await extractCommit(opts.cwd, commit);
  try {
    const [base, work] = (await planTrees([tree, opts.cwd], opts.stacks)) as [TreePlans, TreePlans];
    for (const s of opts.stacks ?? []) {
      if (!base.stacks.includes(s) && !work.stacks.includes(s)) {
        throw new UserError(`--stack: "${s}" has no stack file in the working tree or at ${opts.base} (stacks: ${[...new Set([...base.stacks, ...work.stacks])].sort().join(', ') || 'none'})`);
      }
    }
    return { base: opts.base, commit, stacks: diffTrees(base, work, opts.stacks) };
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
}

async function resolveCommit(cwd: string, ref: string): Promise<string> {
  if (ref.startsWith('-')) throw new UserError(`--diff: "${ref}" is not a git ref`);
  const inRepo = await execa('git', ['rev-parse', '--git-dir'], { cwd, reject: false });
  if (inRepo.exitCode !== 0) throw new UserError(`--diff: ${cwd} is not inside a git repository`);
  const rev = await execa('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd, reject: false });
  if (rev.exitCode !== 0) throw new UserError(`--diff: "${ref}" is not a commit, branch or tag of this repository`);
  return rev.stdout.trim();
}

/**
 * The commit's copy of this project in a temp dir (no git metadata touched), with this checkout's
 * node_modules. A project in a subdirectory of its repository is taken from the same subdirectory.
 */
async function extractCommit(cwd: string, commit: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-base-'));
  try {
    const tar = join(dir, '.tree.tar');
    const where = await execa('git', ['rev-parse', '--show-toplevel', '--show-prefix'], { cwd });
    const [top, prefix = ''] = where.stdout.split('\n').map((l) => l.trim().replace(/\/$/, ''));
    await execa('git', ['archive', '--format=tar', '-o', tar, prefix ? `${commit}:${prefix}` : commit], { cwd: top });
    await execa('tar', ['-xf', tar, '-C', dir]);
    rmSync(tar);
    // Whatever the commit holds at node_modules (nothing, normally) gives way to this checkout's.
    rmSync(join(dir, 'node_modules'), { recursive: true, force: true });
    symlinkSync(nodeModulesFor(cwd), join(dir, 'node_modules'), 'dir');
    return dir;
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** The checkout's node_modules, else the one this code runs from. */
function nodeModulesFor(cwd: string): string {
  const own = join(cwd, 'node_modules');
  if (existsSync(own)) return realpathSync(own);
  const pkg = createRequire(import.meta.url).resolve('@pulumi/pulumi/package.json');
  return pkg.slice(0, pkg.lastIndexOf(`${sep}node_modules${sep}`) + `${sep}node_modules`.length);
}

/** Plans the stacks of each tree, in one child process, each tree with its own code. */
export async function planTrees(roots: readonly string[], stacks: readonly string[] | undefined): Promise<TreePlans[]> {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-plans-'));
  const outFile = join(dir, 'plans.json');
  try {
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const child = fileURLToPath(new URL('./planChild.ts', import.meta.url));
    const args = ['--import', tsx, child, outFile, JSON.stringify(stacks ?? []), ...roots];
    const run = await execa(process.execPath, args, { cwd: roots[0], reject: false, all: true });
    if (run.exitCode !== 0 || !existsSync(outFile)) {
      throw new UserError(`plan --diff: could not plan the stacks (${lastErrorLine(run.all ?? '') ?? `exit code ${run.exitCode}`})`);
    }
    return JSON.parse(readFileSync(outFile, 'utf8')) as TreePlans[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function lastErrorLine(text: string): string | undefined {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /^(\w*Error|error):/.test(l)) ?? lines.at(-1);
}
