// Drift: resources changed outside Pulumi since the last deployment. A refresh in preview mode asks
// the cloud (or Docker) for each resource's real state and compares it with the stack's state,
// without writing anything; every step that is not `same` is drift.
import type { EnginePort, PreviewStep } from './engine';
import { nameOfUrn } from './planDiff';

export interface DriftedProperty {
  /** Property path as the engine reports it: `healthCheck.interval`, `tags.owner`. */
  path: string;
  /** `update`, `add`, `delete`, `update-replace`, … */
  kind: string;
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
/** Operations that change nothing by themselves; they count only with a non-empty diff. */
const QUIET = new Set(['same', 'refresh', 'read']);

/** The steps of a refresh preview that are drift, as resources with their changed properties. */
export function driftOf(steps: readonly PreviewStep[]): DriftedResource[] {
  const out: DriftedResource[] = [];
  for (const s of steps) {
    const properties = Object.entries(s.diff).map(([path, kind]) => ({ path, kind })).sort((a, b) => a.path.localeCompare(b.path));
    if (QUIET.has(s.op) && properties.length === 0) continue;
    out.push({ urn: s.urn, type: s.type, name: nameOfUrn(s.urn), op: s.op, kind: GONE.has(s.op) ? 'deleted' : 'changed', properties });
  }
  return out;
}

export interface DriftOptions {
  signal?: AbortSignal;
}

/** Refreshes each stack in preview mode, one after the other; the state is left as it was. */
export async function detectDrift(engine: EnginePort, stacks: readonly string[], opts: DriftOptions = {}): Promise<StackDrift[]> {
  const out: StackDrift[] = [];
  for (const stack of stacks) {
    const handle = await engine.selectStack(stack);
    const result = await handle.refresh({ previewOnly: true, message: 'slipway drift', ...(opts.signal ? { signal: opts.signal } : {}) });
    out.push({ stack, drifted: driftOf(result.steps) });
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
      else lines.push(`  ~ ${r.type}  ${r.name}  ${r.properties.map((p) => (p.kind === 'update' ? p.path : `${p.path} (${p.kind})`)).join(', ') || `(${r.op})`}`);
    }
  }
  return lines;
}
