// Summarising: each resource's steps folded into one change, its changed properties with safe values,
// ordered for review.
import { lookup, MISSING, parsePath, parseUrn, shortType, showValue } from '../values';
import { OP_ORDER, type ChangeOp, type ParsedPreview, type PropertyChange, type RawStep, type ResourceChange, type StackPreview, type StateLike } from './model';
import { riskOf } from './risk';

const REPLACE_OPS = new Set(['replace', 'create-replacement', 'delete-replaced', 'import-replacement']);
const DIRECT_OPS = new Set<ChangeOp>(['create', 'update', 'delete', 'import']);

/** Operations that change nothing a reviewer acts on (reads, refreshes, bookkeeping). */
const QUIET_OPS = new Set(['same', 'read', 'read-replacement', 'refresh', 'read-discard', 'discard-replaced', 'remove-pending-replace']);

/** Steps whose operation Slipway does not know (a newer engine's, or a damaged log): never summarised silently. */
export function unknownSteps(parsed: ParsedPreview): RawStep[] {
  return parsed.steps.filter((s) => !REPLACE_OPS.has(s.op) && !DIRECT_OPS.has(s.op as ChangeOp) && !QUIET_OPS.has(s.op));
}

/** One line naming an unknown step's operation and resource. */
export function unknownStepMessage(s: RawStep): string {
  return `unknown operation "${s.op}" on ${s.urn}: left out of the summary`;
}

/** The stack itself: its "changes" are output changes, not resources a reviewer can act on. */
const HIDDEN_TYPE = /^pulumi:pulumi:Stack$/;

/**
 * One stack's summary: the steps of each resource folded into one change (a replacement's
 * create-replacement / replace / delete-replaced triple is ONE replacement), ordered for review.
 */
export function summarise(stack: string, parsed: ParsedPreview, error?: string): StackPreview {
  const byUrn = new Map<string, RawStep[]>();
  // Pushed in place: copying the list per step made a long log quadratic.
  for (const s of parsed.steps) {
    const list = byUrn.get(s.urn);
    if (list) list.push(s);
    else byUrn.set(s.urn, [s]);
  }
  const changes: ResourceChange[] = [];
  let sames = 0;
  for (const [urn, steps] of byUrn) {
    const change = fold(urn, steps);
    if (change) changes.push(change);
    else if (steps.some((s) => s.op === 'same')) sames++;
  }
  const rank = (c: ResourceChange) => OP_ORDER.indexOf(c.op) * 2 + ((c.op === 'replace' || c.op === 'delete') && !c.risk ? 1 : 0);
  const ordered = changes.map((c, i) => ({ c, i })).sort((a, b) => rank(a.c) - rank(b.c) || a.i - b.i).map((x) => x.c);
  const counted: Record<string, number> = {};
  for (const c of changes) counted[c.op] = (counted[c.op] ?? 0) + 1;
  if (sames > 0) counted.same = sames;
  const unknown = unknownSteps(parsed).map((s) => ({ severity: 'warning' as const, message: unknownStepMessage(s), resource: parseUrn(s.urn).name }));
  const diagnostics = [...parsed.diagnostics, ...unknown].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
  return {
    stack,
    kind: parsed.kind,
    counts: parsed.counts ?? counted,
    changes: ordered,
    diagnostics,
    ...(error !== undefined ? { error } : {}),
  };
}

function fold(urn: string, steps: RawStep[]): ResourceChange | undefined {
  const ops = steps.map((s) => s.op);
  let op: ChangeOp | undefined;
  if (ops.some((o) => REPLACE_OPS.has(o))) op = 'replace';
  else op = ops.find((o): o is ChangeOp => DIRECT_OPS.has(o as ChangeOp));
  if (!op) return undefined;
  const parsedUrn = parseUrn(urn);
  const type = steps.find((s) => s.type)?.type ?? parsedUrn.type ?? 'unknown';
  if (HIDDEN_TYPE.test(type)) return undefined;
  // The step that describes the change best: the logical `replace` one, then any with a diff.
  const main = steps.find((s) => s.op === 'replace') ?? steps.find((s) => s.detailedDiff && Object.keys(s.detailedDiff).length > 0) ?? steps[0]!;
  const oldState = steps.find((s) => s.old)?.old;
  const newState = [...steps].reverse().find((s) => s.new)?.new;
  const replaceReasons = unique(steps.flatMap((s) => s.replaceReasons ?? []));
  const properties = op === 'create' || op === 'delete' ? [] : propertyChanges(main, oldState, newState, replaceReasons);
  const created = ops.indexOf('create-replacement');
  const deleted = ops.indexOf('delete-replaced');
  const change: ResourceChange = {
    op,
    urn,
    name: parsedUrn.name,
    type,
    shortType: shortType(type),
    properties,
    replaceReasons: op === 'replace' ? replaceReasons : [],
  };
  if (op === 'replace' && created >= 0 && deleted >= 0) change.deleteBeforeReplace = deleted < created;
  const risk = riskOf(type, oldState ?? newState);
  if (risk) change.risk = risk;
  if (steps.some((s) => s.failed)) change.failed = true;
  return change;
}

function propertyChanges(step: RawStep, oldState: StateLike | undefined, newState: StateLike | undefined, replaceReasons: string[]): PropertyChange[] {
  const entries: [string, { kind: string; inputDiff?: boolean }][] = step.detailedDiff
    ? Object.entries(step.detailedDiff)
    : unique([...(step.diffs ?? []), ...replaceReasons]).map((p) => [p, { kind: replaceReasons.includes(p) ? 'update-replace' : 'update' }]);
  const reasons = new Set(replaceReasons);
  return entries.map(([path, d]) => {
    const top = parsePath(path)[0];
    const change: PropertyChange = {
      path,
      kind: d.kind,
      replaces: d.kind.endsWith('-replace') || reasons.has(path) || (typeof top === 'string' && reasons.has(top)),
    };
    if (oldState && !d.kind.startsWith('add')) {
      const root = d.inputDiff ? oldState.inputs : oldState.outputs ?? oldState.inputs;
      let v = lookup(root, path);
      if (v === MISSING && root !== oldState.inputs) v = lookup(oldState.inputs, path);
      if (v !== MISSING) change.old = showValue(v);
    }
    if (newState && !d.kind.startsWith('delete')) {
      let v = lookup(newState.inputs, path);
      if (v === MISSING) v = lookup(newState.outputs, path);
      if (v !== MISSING) change.new = showValue(v);
    }
    return change;
  });
}

const unique = <T>(xs: readonly T[]): T[] => [...new Set(xs)];

/** Replacements and deletions of resources that carry traffic or hold data. */
export const riskyCount = (s: StackPreview): number => s.changes.filter((c) => (c.op === 'replace' || c.op === 'delete') && c.risk).length;
export const errorCount = (s: StackPreview): number => s.diagnostics.filter((d) => d.severity === 'error').length;
