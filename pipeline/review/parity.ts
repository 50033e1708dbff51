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
import { secretKey } from '../../stacks/appEnv';
import { readStackConfig, stackFile } from '../../stacks/load';
import type { SlipwayConfig, Target } from '../../stacks/schema';
import { validateStackConfig } from '../../stacks/validate';
import { relative } from 'node:path';
import { UserError } from '../cli/errors';
import { Attribution, entriesOf, IGNORED_OUTPUTS, knobValue, NESTED_KNOBS, setKey, type Knob } from './parityAttribution';
import { planStack, type Plan, type PlanResult } from './plan';
import { diffPlans, diffValues, type ValueChange } from './planDiff';
import { isObject, isSecret, isWithin, maskSecrets, secureAsSecret } from './values';

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
  changes: ValueChange[];
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

/** The values of the app's secrets: `slipway:secret.NAME`. */
const SECRET_KEYS = secretKey('');

/** Keys that are not knobs: the application, the release state, the target (which must match). */
const NOT_KNOBS = new Set(['slipway:app', 'slipway:release', 'slipway:target']);

const PLACEHOLDER_IMAGE = `parity.invalid/app@sha256:${'0'.repeat(64)}`;
/** Both slots run something, so task definitions and services are compared too. */
const PLACEHOLDER_RELEASE = {
  live: 'blue',
  blue: { image: PLACEHOLDER_IMAGE, version: 'parity' },
  green: { image: PLACEHOLDER_IMAGE, version: 'parity' },
};

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

  // `secure:` values compare by ciphertext as secrets: a changed one is a difference, never shown.
  const knobs = differingKnobs(secureAsSecret(rawA) as Record<string, unknown>, secureAsSecret(rawB) as Record<string, unknown>, cA, cB);
  const base: Record<string, unknown> = { ...structuredClone(rawA), 'slipway:release': structuredClone(PLACEHOLDER_RELEASE) };
  const withKnobs = (keys: readonly string[]) => {
    const raw = structuredClone(base);
    for (const k of keys) setKey(raw, k, knobValue(rawB, k));
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
  const attribution = new Attribution(stackA, pA, base, rawB, knobs, opts, plan, (stack, raw) => planWith(stack, raw, opts));
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
  for (const c of diffValues({ ...cA.app, name: undefined, env: undefined }, { ...cB.app, name: undefined, env: undefined })) {
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



/**
 * Every config key but the application, release and target whose (validated) values differ, with the
 * app's plain variables (`slipway:app.env`) and the values of the secrets both stacks list (compared
 * as their ciphertext, never shown).
 */
export function differingKnobs(rawA: Record<string, unknown>, rawB: Record<string, unknown>, cA: SlipwayConfig, cB: SlipwayConfig): Knob[] {
  const bothList = (key: string) => [cA, cB].every((c) => c.app.secrets.some((n) => key === secretKey(n)));
  const keys = [...new Set([...Object.keys(rawA), ...Object.keys(rawB), ...Object.keys(NESTED_KNOBS)])]
    .filter((k) => !NOT_KNOBS.has(k) && (!k.startsWith(SECRET_KEYS) || bothList(k)))
    .sort();
  const valueOf = (raw: Record<string, unknown>, c: SlipwayConfig, key: string) =>
    key.startsWith('slipway:') && !key.startsWith(SECRET_KEYS)
      ? knobValue(Object.fromEntries(Object.entries(c).map(([k, v]) => [`slipway:${k}`, v])), key)
      : raw[key];
  const knobs: Knob[] = [];
  for (const key of keys) {
    const a = valueOf(rawA, cA, key);
    const b = valueOf(rawB, cB, key);
    if (diffValues(a, b).length === 0) continue;
    const changes = isObject(a) && isObject(b) && !isSecret(a) && !isSecret(b)
      ? [...new Set([...Object.keys(a), ...Object.keys(b)])].sort().filter((p) => diffValues(a[p], b[p]).length > 0).map((p) => change(p, a[p], b[p]))
      : [change('', a, b)];
    knobs.push({ key, changes, a, b });
  }
  return knobs;
}

/** A knob's change, secrets masked: the report carries no secret value. */
function change(path: string, before: unknown, after: unknown): ValueChange {
  return { path, ...(before !== undefined ? { before: maskSecrets(before) } : {}), ...(after !== undefined ? { after: maskSecrets(after) } : {}) };
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
