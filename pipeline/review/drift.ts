// Drift: resources changed outside Pulumi since the last deployment. A refresh in preview mode asks
// the cloud (or Docker) for each resource's real state and compares it with the stack's state,
// without writing anything; every step that is not `same` is drift.
import type { EnginePort, PreviewStep } from '../engine/port';
import { diffValues } from './planDiff';
import { isWithin, lookup, MISSING, nameOfUrn, showValue } from './values';

export interface DriftedProperty {
  /** Property path as the engine reports it: `healthCheck.interval`, `tags.owner`. */
  path: string;
  /** `update`, `add`, `delete`, `update-replace`, … */
  kind: string;
  /** The value in the stack's state and the real one, when the engine reports both states. */
  before?: unknown;
  after?: unknown;
}

export interface DriftedResource {
  urn: string;
  type: string;
  name: string;
  /** The engine's operation for it. */
  op: string;
  /** `deleted`: gone outside Pulumi; `changed`: some properties differ from the state. */
  kind: 'changed' | 'deleted';
  properties: DriftedProperty[];
}

export interface StackDrift {
  stack: string;
  drifted: DriftedResource[];
}

/** Operations that mean the resource no longer exists as the state says. */
const GONE = new Set(['delete', 'deleted', 'discard', 'read-discard', 'delete-replaced']);
/** Operations that change nothing by themselves; they count only with a difference. */
const QUIET = new Set(['same', 'refresh', 'read']);

/** Per resource (`type::name`), the inputs the program leaves to something else (`ignoreChanges`). */
export type IgnoredChanges = ReadonlyMap<string, readonly string[]>;

/** Whether `path` (`desiredCount`, `envs[2]`, `tags.owner`) is, or lies under, an ignored input. */
export function isIgnored(path: string, ignored: readonly string[]): boolean {
  return ignored.some((p) => isWithin(path, p));
}

/**
 * The steps of a refresh preview that are drift, as resources with their changed properties. A
 * refresh step whose resource has an old state but no new one was deleted outside Pulumi (that is
 * how the engine itself reads it); one without a diff but with differing states is drift too.
 * Properties the program declares as owned elsewhere (`ignoreChanges`: a service's desiredCount under
 * autoscaling, a kept slot's environment) are not drift: a refresh reports them all the same.
 */
export function driftOf(steps: readonly PreviewStep[], ignored: IgnoredChanges = new Map()): DriftedResource[] {
  const out: DriftedResource[] = [];
  for (const s of steps) {
    const before = stateOf(s.old);
    const after = stateOf(s.new);
    const deleted = GONE.has(s.op) || (s.op === 'refresh' && s.old !== undefined && s.new === undefined);
    let properties: DriftedProperty[] = Object.entries(s.diff)
      .map(([path, kind]) => ({ path, kind, ...valuesAt(path, before, after) }))
      .sort((a, b) => a.path.localeCompare(b.path));
    if (properties.length === 0 && !deleted && before && after) {
      properties = diffValues(before, after).map((c) => ({ path: c.path, kind: 'update', ...('before' in c ? { before: c.before } : {}), ...('after' in c ? { after: c.after } : {}) }));
    }
    const skip = ignored.get(`${s.type}::${nameOfUrn(s.urn)}`) ?? [];
    const reported = properties.length;
    properties = properties.filter((p) => !isIgnored(p.path, skip));
    if (!deleted && properties.length === 0 && (QUIET.has(s.op) || reported > 0)) continue;
    out.push({ urn: s.urn, type: s.type, name: nameOfUrn(s.urn), op: s.op, kind: deleted ? 'deleted' : 'changed', properties: deleted ? [] : properties });
  }
  return out;
}

/** What a state says the resource is: its outputs (what the provider read), else its inputs. */
function stateOf(state: PreviewStep['old']): Record<string, unknown> | undefined {
  return state?.outputs ?? state?.inputs;
}

function valuesAt(path: string, before?: Record<string, unknown>, after?: Record<string, unknown>): { before?: unknown; after?: unknown } {
  const b = lookup(before, path);
  const a = lookup(after, path);
  return { ...(b !== MISSING ? { before: b } : {}), ...(a !== MISSING ? { after: a } : {}) };
}

export interface DriftOptions {
  signal?: AbortSignal;
  /** The stack's ignored inputs (from its offline plan); default none. */
  ignoredOf?: (stack: string) => Promise<IgnoredChanges>;
}

/** Refreshes each stack in preview mode, one after the other; the state is left as it was. */
export async function detectDrift(engine: EnginePort, stacks: readonly string[], opts: DriftOptions = {}): Promise<StackDrift[]> {
  const out: StackDrift[] = [];
  for (const stack of stacks) {
    const handle = await engine.selectStack(stack);
    const result = await handle.refresh({ previewOnly: true, message: 'slipway drift', ...(opts.signal ? { signal: opts.signal } : {}) });
    const drifted = driftOf(result.steps);
    // The stack's ignored inputs (an offline plan) are looked up only when there is a change to weigh.
    const weigh = opts.ignoredOf && drifted.some((r) => r.kind === 'changed' && r.properties.length > 0);
    out.push({ stack, drifted: weigh ? driftOf(result.steps, await opts.ignoredOf!(stack)) : drifted });
  }
  return out;
}

export function renderDrift(report: readonly StackDrift[]): string[] {
  const lines: string[] = [];
  for (const s of report) {
    const n = s.drifted.length;
    if (n === 0) {
      lines.push(`${s.stack}: no drift`);
      continue;
    }
    lines.push(`${s.stack}: ${n} resource${n === 1 ? '' : 's'} changed outside Pulumi`);
    for (const r of s.drifted) {
      if (r.kind === 'deleted') lines.push(`  - ${r.type}  ${r.name}  deleted outside Pulumi`);
      else if (r.properties.length === 0) lines.push(`  ~ ${r.type}  ${r.name}  (${r.op})`);
      else {
        lines.push(`  ~ ${r.type}  ${r.name}`);
        for (const p of r.properties) {
          const values = 'before' in p || 'after' in p ? `: ${showValue(p.before)} → ${showValue(p.after)}` : '';
          lines.push(`      ${p.path}${p.kind === 'update' ? '' : ` (${p.kind})`}${values}`);
        }
      }
    }
  }
  return lines;
}
