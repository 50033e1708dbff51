// Parity's attribution: which declared knob (and which property of it) is behind each difference
// between stack A's plan and A planned with B's knobs. See parity.ts for the three plans.
import type { Plan, PlanResult } from './plan';
import { diffPlans, type PlanDiff, type ValueChange } from './planDiff';
import type { ParityDifference, ParityOptions } from './parity';
import { formatPath, isObject, isScalar } from './values';

/** Changes with every configuration change; its inputs are compared instead. */
export const IGNORED_OUTPUTS = ['configHash'];

export interface Knob {
  key: string;
  /** A's value → B's, per top-level property of the knob (the whole value for a scalar knob). */
  changes: ValueChange[];
  /** Values as validated (defaults applied), for matching plan values to properties. */
  a: unknown;
  b: unknown;
}

/** `slipway:capacity` + `cpu` → `slipway:capacity.cpu`; `slipway:tags` + `cost-center` → `slipway:tags["cost-center"]`. */
export function knobLabel(key: string, property: string): string {
  if (property === '') return key;
  const path = formatPath([property]);
  return path.startsWith('[') ? `${key}${path}` : `${key}.${path}`;
}

/** Knobs inside a mapping that is not one: `slipway:app.env` is a knob, the rest of `slipway:app` is not. */
export const NESTED_KNOBS: Readonly<Record<string, readonly [string, string]>> = { 'slipway:app.env': ['slipway:app', 'env'] };

/** A knob's raw value: a config key's, or a nested knob's inside its mapping. */
export function knobValue(raw: Record<string, unknown>, key: string): unknown {
  const nested = NESTED_KNOBS[key];
  if (!nested) return raw[key];
  const outer = raw[nested[0]];
  return isObject(outer) ? outer[nested[1]] : undefined;
}

export function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  const nested = NESTED_KNOBS[key];
  if (nested) {
    const outer = isObject(target[nested[0]]) ? (target[nested[0]] as Record<string, unknown>) : {};
    target[nested[0]] = outer;
    return setKey(outer, nested[1], value);
  }
  if (value === undefined) delete target[key];
  else target[key] = structuredClone(value);
}

/** Plans a raw configuration of the stack (ParityOptions' beforeProgram applied). */
export type PlanRaw = (stack: string, raw: Record<string, unknown>) => Promise<PlanResult>;

/**
 * Names the knob behind each A → H difference: the knobs whose one-at-a-time plan shows it, refined
 * to one property of the knob by matching values (cpu 512 → "512") or, where several properties
 * changed and values do not tell, by planning properties one at a time too (see contributes).
 */
export class Attribution {
  private readonly byKnob = new Map<string, Promise<Set<string>>>();
  private readonly byProperty = new Map<string, Promise<((e: Entry) => boolean) | undefined>>();

  constructor(
    private readonly stack: string,
    private readonly pA: Plan,
    private readonly base: Record<string, unknown>,
    private readonly rawB: Record<string, unknown>,
    private readonly knobs: readonly Knob[],
    private readonly opts: ParityOptions,
    private readonly plan: (stack: string, raw: Record<string, unknown>, what: string) => Promise<Plan>,
    private readonly planRaw: PlanRaw,
  ) {}

  async knobsOf(e: Entry): Promise<string[]> {
    if (this.knobs.length === 1) return this.refine(this.knobs[0]!, e);
    if (this.opts.attribute === false) return this.knobs.map((k) => k.key);
    const found: Knob[] = [];
    for (const k of this.knobs) if ((await this.keysWith(k)).has(e.key)) found.push(k);
    // No single knob makes this difference: it takes several together.
    if (found.length === 0) return this.knobs.map((k) => k.key);
    const labels: string[] = [];
    for (const k of found) labels.push(...(await this.refine(k, e)));
    return labels;
  }

  private async refine(k: Knob, e: Entry): Promise<string[]> {
    const props = k.changes.map((c) => c.path);
    if (props.length === 1) return [knobLabel(k.key, props[0]!)];
    const { a, b } = e.difference;
    if (isScalar(a) && isScalar(b) && isObject(k.a) && isObject(k.b)) {
      const matches = props.filter((p) => String(a) === String((k.a as Record<string, unknown>)[p]) && String(b) === String((k.b as Record<string, unknown>)[p]));
      if (matches.length === 1) return [knobLabel(k.key, matches[0]!)];
    }
    if (this.opts.attribute === false) return [k.key];
    const hits: string[] = [];
    for (const p of props) if ((await this.contributes(k, p))?.(e)) hits.push(knobLabel(k.key, p));
    return hits.length > 0 ? hits : [k.key];
  }

  /** Difference keys of A → A-with-B's-value-of-this-knob. */
  private keysWith(k: Knob): Promise<Set<string>> {
    let keys = this.byKnob.get(k.key);
    if (!keys) {
      const raw = structuredClone(this.base);
      setKey(raw, k.key, knobValue(this.rawB, k.key));
      keys = this.plan(this.stack, raw, `${this.stack} with ${k.key} of the other stack`).then((p) => this.keysAgainst(p));
      this.byKnob.set(k.key, keys);
    }
    return keys;
  }

  /**
   * Whether one property of a knob makes a difference: planned alone (A with B's value of just that
   * property), the difference is there. Where that alone is no valid configuration (natGateways above
   * azCount), B's knob without that property is planned instead: what then goes or changes is its
   * doing. Undefined when neither plans.
   */
  private contributes(k: Knob, property: string): Promise<((e: Entry) => boolean) | undefined> {
    const id = knobLabel(k.key, property);
    let test = this.byProperty.get(id);
    if (!test) {
      test = (async () => {
        const alone = await this.tryPlan(k, [property]);
        if (alone) {
          const keys = this.keysAgainst(alone);
          return (e: Entry) => keys.has(e.key);
        }
        const without = await this.tryPlan(k, k.changes.map((c) => c.path).filter((p) => p !== property));
        if (!without) return undefined;
        const after = new Map(entriesOf(diffPlans(this.pA, without, { ignoreOutputs: IGNORED_OUTPUTS })).map((e) => [e.key, signature(e)]));
        return (e: Entry) => after.get(e.key) !== signature(e);
      })();
      this.byProperty.set(id, test);
    }
    return test;
  }

  /** A with B's values of these properties of a knob; undefined when that is not a valid configuration. */
  private async tryPlan(k: Knob, properties: readonly string[]): Promise<Plan | undefined> {
    const raw = structuredClone(this.base);
    const mine = knobValue(raw, k.key);
    const theirs = knobValue(this.rawB, k.key);
    const value = isObject(mine) ? structuredClone(mine) : {};
    const other = isObject(theirs) ? theirs : {};
    for (const p of properties) setKey(value, p, other[p]);
    setKey(raw, k.key, value);
    const r = await this.planRaw(this.stack, raw).catch(() => undefined);
    return r?.ok ? r.plan : undefined;
  }

  private keysAgainst(p: Plan): Set<string> {
    return new Set(entriesOf(diffPlans(this.pA, p, { ignoreOutputs: IGNORED_OUTPUTS })).map((e) => e.key));
  }
}

export interface Entry {
  /** Identifies the difference across plans of one stack name: kind, URN and path. */
  key: string;
  difference: Omit<ParityDifference, 'knobs'>;
}

export function entriesOf(d: PlanDiff): Entry[] {
  const out: Entry[] = [];
  for (const r of d.added) out.push({ key: `+${r.urn}`, difference: { kind: 'added', type: r.type, name: r.name } });
  for (const r of d.removed) out.push({ key: `-${r.urn}`, difference: { kind: 'removed', type: r.type, name: r.name } });
  for (const r of d.changed) {
    for (const c of r.changes) {
      out.push({ key: `~${r.urn}#${c.path}`, difference: { kind: 'changed', type: r.type, name: r.name, path: c.path, ...sides(c) } });
    }
  }
  for (const c of d.outputs) out.push({ key: `~outputs#${c.path}`, difference: { kind: 'changed', type: 'outputs', name: '', path: c.path, ...sides(c) } });
  return out;
}

/** A difference's B-side value, to tell whether another plan has the same difference. */
function signature(e: Entry): string {
  return JSON.stringify(e.difference.b) ?? '';
}

function sides(c: ValueChange): { a?: unknown; b?: unknown } {
  return { ...('before' in c ? { a: c.before } : {}), ...('after' in c ? { b: c.after } : {}) };
}

