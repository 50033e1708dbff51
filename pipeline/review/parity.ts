// Environment parity (DESIGN principle 6): two stacks of one target may differ only in declared knobs.
// Offline, from three plans of the real program under the SDK's mocks:
//   A  = stack A's name and knobs
//   H  = stack A's name, stack B's knobs        (the hybrid)
//   B' = stack B's name, stack B's knobs        (B as H would be under B's name)
// All three share A's application settings and one placeholder release in both slots, so what runs
// where is not compared but every per-slot resource is. A → H differs only in knobs: each difference
// is declared, and planning knobs one at a time names the knob behind it. H → B' differs only in the
// stack name: once names are normalised, anything left is a component branching on the stack —
// undeclared. Application settings (other than the name) are not a knob: a difference there is
// undeclared too.
import { readStackConfig, stackFile } from '../../stacks/load';
import type { SlipwayConfig, Target } from '../../stacks/schema';
import { validateStackConfig } from '../../stacks/validate';
import { relative } from 'node:path';
import { UserError } from '../cli/errors';
import { planStack, type Plan, type PlanResult } from './plan';
import { diffPlans, diffValues, showChange, showValue, type PlanDiff, type PropertyChange } from './planDiff';

export interface ParityOptions {
  /** Project root holding stacks/. */
  root: string;
  /** Raw configs (`slipway:app` → value) to use instead of the stack files, by stack name. */
  configs?: Readonly<Record<string, Record<string, unknown>>>;
  /**
   * Runs inside every planned program, before it registers anything: tests use it to inject a
   * stack-specific change (e.g. `pulumi.runtime.registerStackTransformation`) into the components.
   */
  beforeProgram?: () => void;
  /** Plan knobs one at a time to name the knob behind each difference (default true). */
  attribute?: boolean;
}

export interface ParityDifference {
  /** `added`: only B has the resource; `removed`: only A; `changed`: a property; `config`: a setting. */
  kind: 'added' | 'removed' | 'changed' | 'config';
  /** Resource type token; `outputs` for a stack output; the config key for `config`. */
  type: string;
  /** Logical resource name ('' for outputs and config). */
  name: string;
  path?: string;
  /** The value on A's side and on B's (absent: not set there). */
  a?: unknown;
  b?: unknown;
  /** The declared knobs behind it (`slipway:capacity.cpu`); empty when undeclared. */
  knobs: string[];
  /** Why an undeclared difference is one. */
  reason?: string;
}

export interface KnobDifference {
  /** Config key: `slipway:capacity`, `aws:region`. */
  knob: string;
  /** What differs inside it: A's value → B's, by property. */
  changes: PropertyChange[];
  /** Plan differences attributed to it (0: it changes no resource). */
  differences: number;
}

export interface ParityReport {
  stacks: [string, string];
  target: Target;
  knobs: KnobDifference[];
  declared: ParityDifference[];
  undeclared: ParityDifference[];
  notes: string[];
  /** No undeclared difference. */
  ok: boolean;
}

/** Keys that are not knobs: the application, the release state, the target (which must match). */
const NOT_KNOBS = new Set(['slipway:app', 'slipway:release', 'slipway:target']);

const PLACEHOLDER_IMAGE = `parity.invalid/app@sha256:${'0'.repeat(64)}`;
/** Both slots run something, so task definitions and services are compared too. */
const PLACEHOLDER_RELEASE = {
  live: 'blue',
  blue: { image: PLACEHOLDER_IMAGE, version: 'parity' },
  green: { image: PLACEHOLDER_IMAGE, version: 'parity' },
};

/** Changes with every configuration change; its inputs are compared instead. */
const IGNORED_OUTPUTS = ['configHash'];

const NOT_A_KNOB = 'the application is not a knob: every environment runs the same application settings';

export async function parity(stackA: string, stackB: string, opts: ParityOptions): Promise<ParityReport> {
  if (stackA === stackB) throw new UserError(`parity: give two different stacks (got ${stackA} twice)`);
  const rawA = rawConfig(stackA, opts);
  const rawB = rawConfig(stackB, opts);
  const cA = validated(stackA, rawA, opts.root);
  const cB = validated(stackB, rawB, opts.root);
  if (cA.target !== cB.target) {
    throw new UserError(`parity: ${stackA} targets ${cA.target} and ${stackB} targets ${cB.target}; only stacks of the same target can be compared`);
  }

  const knobs = differingKnobs(rawA, rawB, cA, cB);
  const base: Record<string, unknown> = { ...structuredClone(rawA), 'slipway:release': structuredClone(PLACEHOLDER_RELEASE) };
  const withKnobs = (keys: readonly string[]) => {
    const raw = structuredClone(base);
    for (const k of keys) setKey(raw, k, rawB[k]);
    return raw;
  };
  const plan = (stack: string, raw: Record<string, unknown>, what: string) => planOrThrow(stack, raw, what, opts);

  const pA = await plan(stackA, base, `${stackA}`);
  const hybrid = withKnobs(knobs.map((k) => k.key));
  // With every knob alike the hybrid is A itself.
  const pH = knobs.length === 0 ? pA : await plan(stackA, hybrid, `${stackA} with ${stackB}'s knobs`);
  const pB = await plan(stackB, hybrid, `${stackB} with ${stackA}'s application`);

  // A → H: knobs only.
  const declaredEntries = entriesOf(diffPlans(pA, pH, { ignoreOutputs: IGNORED_OUTPUTS }));
  const attribution = new Attribution(stackA, pA, base, rawB, knobs, opts, plan);
  const declared: ParityDifference[] = [];
  for (const e of declaredEntries) declared.push({ ...e.difference, knobs: await attribution.knobsOf(e) });

  // H → B': the stack name only.
  const undeclared: ParityDifference[] = entriesOf(
    diffPlans(pH, pB, { sameString: sameUpToStackName(stackA, stackB), ignoreOutputs: IGNORED_OUTPUTS }),
  ).map((e) => ({
    ...e.difference,
    knobs: [],
    reason: `planned with the same configuration, ${stackA} and ${stackB} still differ here: a component branches on the stack name`,
  }));
  for (const c of diffValues({ ...cA.app, name: undefined }, { ...cB.app, name: undefined })) {
    undeclared.push({ kind: 'config', type: 'slipway:app', name: '', path: c.path, a: c.before, b: c.after, knobs: [], reason: NOT_A_KNOB });
  }

  const notes = [
    'slipway:release is not compared: every plan runs the same placeholder release in both slots, so per-slot resources are compared too.',
  ];
  if (cA.app.name !== cB.app.name) notes.push(`App names differ (${cA.app.name}, ${cB.app.name}): both planned as ${cA.app.name}.`);

  return {
    stacks: [stackA, stackB],
    target: cA.target,
    knobs: knobs.map((k) => ({
      knob: k.key,
      changes: k.changes,
      differences: declared.filter((d) => d.knobs.some((label) => isWithin(label, k.key))).length,
    })),
    declared,
    undeclared,
    notes,
    ok: undeclared.length === 0,
  };
}

// ---------------------------------------------------------------------------------------------
// Knobs

interface Knob {
  key: string;
  /** A's value → B's, per top-level property of the knob (the whole value for a scalar knob). */
  changes: PropertyChange[];
  /** Values as validated (defaults applied), for matching plan values to properties. */
  a: unknown;
  b: unknown;
}

/** Every config key but the application, release and target whose (validated) values differ. */
export function differingKnobs(rawA: Record<string, unknown>, rawB: Record<string, unknown>, cA: SlipwayConfig, cB: SlipwayConfig): Knob[] {
  const keys = [...new Set([...Object.keys(rawA), ...Object.keys(rawB)])].filter((k) => !NOT_KNOBS.has(k)).sort();
  const valueOf = (raw: Record<string, unknown>, c: SlipwayConfig, key: string) =>
    key.startsWith('slipway:') ? (c as unknown as Record<string, unknown>)[key.slice('slipway:'.length)] : raw[key];
  const knobs: Knob[] = [];
  for (const key of keys) {
    const a = valueOf(rawA, cA, key);
    const b = valueOf(rawB, cB, key);
    if (diffValues(a, b).length === 0) continue;
    const changes = isObject(a) && isObject(b)
      ? [...new Set([...Object.keys(a), ...Object.keys(b)])].sort().filter((p) => diffValues(a[p], b[p]).length > 0).map((p) => change(p, a[p], b[p]))
      : [change('', a, b)];
    knobs.push({ key, changes, a, b });
  }
  return knobs;
}

function change(path: string, before: unknown, after: unknown): PropertyChange {
  return { path, ...(before !== undefined ? { before } : {}), ...(after !== undefined ? { after } : {}) };
}

/** `slipway:capacity` + `cpu` → `slipway:capacity.cpu`; `slipway:tags` + `cost-center` → `slipway:tags["cost-center"]`. */
export function knobLabel(key: string, property: string): string {
  if (property === '') return key;
  return /^[A-Za-z_$][\w$]*$/.test(property) ? `${key}.${property}` : `${key}[${JSON.stringify(property)}]`;
}

function isWithin(label: string, key: string): boolean {
  return label === key || label.startsWith(`${key}.`) || label.startsWith(`${key}[`);
}

/**
 * Names the knob behind each A → H difference: the knobs whose one-at-a-time plan shows it, refined
 * to one property of the knob by matching values (cpu 512 → "512") or, where several properties
 * changed and values do not tell, by planning properties one at a time too (see contributes).
 */
class Attribution {
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
      setKey(raw, k.key, this.rawB[k.key]);
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
    const value = isObject(raw[k.key]) ? (raw[k.key] as Record<string, unknown>) : {};
    const other = isObject(this.rawB[k.key]) ? (this.rawB[k.key] as Record<string, unknown>) : {};
    for (const p of properties) setKey(value, p, other[p]);
    raw[k.key] = value;
    const r = await planWith(this.stack, raw, this.opts).catch(() => undefined);
    return r?.ok ? r.plan : undefined;
  }

  private keysAgainst(p: Plan): Set<string> {
    return new Set(entriesOf(diffPlans(this.pA, p, { ignoreOutputs: IGNORED_OUTPUTS })).map((e) => e.key));
  }
}

// ---------------------------------------------------------------------------------------------
// Plans and their differences

interface Entry {
  /** Identifies the difference across plans of one stack name: kind, URN and path. */
  key: string;
  difference: Omit<ParityDifference, 'knobs'>;
}

function entriesOf(d: PlanDiff): Entry[] {
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

function sides(c: PropertyChange): { a?: unknown; b?: unknown } {
  return { ...('before' in c ? { a: c.before } : {}), ...('after' in c ? { b: c.after } : {}) };
}

/**
 * Equal strings, or equal once one stack's name is put for the other's wherever it stands as a whole
 * word (`shop-staging-blue`, `/slipway/shop/staging/blue`, the URN's stack part). Both directions are
 * tried, so a stack name that is also an ordinary word (a stack called `blue`) is not mistaken.
 */
export function sameUpToStackName(stackA: string, stackB: string): (a: string, b: string) => boolean {
  const word = (name: string) => new RegExp(`(?<![A-Za-z0-9])${name.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}(?![A-Za-z0-9])`, 'g');
  const aWord = word(stackA);
  const bWord = word(stackB);
  return (a, b) => a === b || a.replace(aWord, stackB) === b || b.replace(bWord, stackA) === a;
}

async function planOrThrow(stack: string, raw: Record<string, unknown>, what: string, opts: ParityOptions): Promise<Plan> {
  const r = await planWith(stack, raw, opts);
  if (!r.ok) throw new UserError(r.errors.map((e) => `parity: cannot plan ${what}: ${e}`));
  return r.plan;
}

function planWith(stack: string, raw: Record<string, unknown>, opts: ParityOptions): Promise<PlanResult> {
  return planStack(stack, { root: opts.root, config: raw, beforeProgram: opts.beforeProgram });
}

function rawConfig(stack: string, opts: ParityOptions): Record<string, unknown> {
  const given = opts.configs?.[stack];
  if (given) return structuredClone(given);
  const raw = readStackConfig(stack, opts.root);
  if (typeof raw === 'string') throw new UserError(`parity: ${raw}`);
  return raw;
}

function validated(stack: string, raw: Record<string, unknown>, root: string): SlipwayConfig {
  const v = validateStackConfig(raw, { stack, file: relative(root, stackFile(stack, root)) });
  if (!v.ok) throw new UserError(v.errors);
  return v.config;
}

function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  if (value === undefined) delete target[key];
  else target[key] = structuredClone(value);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isScalar(v: unknown): v is string | number | boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

// ---------------------------------------------------------------------------------------------
// Rendering

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
  const c: PropertyChange = { path: d.path ?? '', ...(d.a !== undefined ? { before: d.a } : {}), ...(d.b !== undefined ? { after: d.b } : {}) };
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
