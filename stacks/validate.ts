// Turns a stack's raw `slipway:*` configuration into a typed config, or into one error line per
// problem, each naming the stack file and the key path. Pure: callers supply the raw values.
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { isSecretEntry, listedSecrets, secretValueProblems } from './appEnv';
import { arnRegionProblem } from './arns';
import { AWS_PROVIDER_KEYS, STACK_NAME_MAX } from './limits';
import { schemaFor, targetSchema, TARGETS, wrongType, type SlipwayConfig } from './schema';
import { canonicalJson } from './canonical';
import { clip, show } from './show';

export const NAMESPACE = 'slipway';

export type Validation =
  | { ok: true; config: SlipwayConfig }
  | { ok: false; errors: string[] };

export interface ValidateOptions {
  /** Stack name, e.g. `prod`. */
  stack: string;
  /** File shown in messages, e.g. `stacks/Pulumi.prod.yaml`. */
  file: string;
  /**
   * The values come from the engine (`pulumi config --show-secrets`, a program run): secrets arrive
   * decrypted. Otherwise they are a stack file's, where a secret must be `{secure: …}`.
   */
  decrypted?: boolean;
}

/**
 * Validates the configuration of one stack. `raw` maps config keys to values; keys of ours are
 * stripped of `slipway:`, keys of the `aws:` provider must be ones it knows (a typo such as
 * `aws:regoin` would be ignored by the provider), other namespaces (`pulumi:*`) are left alone.
 */
export function validateStackConfig(raw: Record<string, unknown>, opts: ValidateOptions): Validation {
  const errors: string[] = [];
  const line = (key: string, message: string) => `${opts.file}: ${key}: ${message}`;

  const stackProblem = stackNameProblem(opts.stack);
  if (stackProblem) errors.push(line('stack', stackProblem));

  const ours: Record<string, unknown> = {};
  const secrets: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const colon = key.indexOf(':');
    const ns = colon < 0 ? key : key.slice(0, colon);
    const name = key.slice(colon + 1);
    if (colon < 0 || name === '') continue;
    if (ns === NAMESPACE && isSecretEntry(name)) secrets[name] = value;
    else if (ns === NAMESPACE) ours[name] = value;
    else if (ns === 'aws' && !AWS_KEY_SET.has(name)) {
      const hint = suggest(name, AWS_PROVIDER_KEYS, 'aws:') ?? 'e.g. aws:region, aws:profile, aws:allowedAccountIds; the aws provider lists them all';
      errors.push(line(clip(key), `unknown AWS provider key (${hint})`));
    }
  }

  const target = targetSchema.safeParse(ours.target);
  if (!target.success) {
    errors.push(line(`${NAMESPACE}:target`, `${show(ours.target)} is not a target (${TARGETS.join(', ')})`));
    return { ok: false, errors };
  }
  const schema = schemaFor(target.data);
  // reportInput: zod leaves the input out of its issues otherwise, and a wrong type would read as missing.
  const parsed = schema.safeParse(ours, { reportInput: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      for (const { path, message } of explain(issue, schema, target.data)) {
        errors.push(line(keyPath(path), message));
      }
    }
  }
  if (parsed.success && parsed.data.target === 'aws') {
    const region = typeof raw['aws:region'] === 'string' ? raw['aws:region'] : undefined;
    const arns = [
      ['slipway:domain.certificateArn', parsed.data.domain?.certificateArn, 'certificate'],
      ['slipway:logs.kmsKeyArn', parsed.data.logs.kmsKeyArn, 'KMS key'],
    ] as const;
    for (const [key, arn, what] of arns) {
      const problem = arn === undefined ? undefined : arnRegionProblem(arn, region, what);
      if (problem) errors.push(line(key, problem));
    }
  }
  const listed = parsed.success ? parsed.data.app.secrets : listedSecrets(ours.app);
  for (const p of secretValueProblems(secrets, listed, { stack: opts.stack, decrypted: opts.decrypted === true })) errors.push(line(p.key, p.message));
  if (errors.length > 0 || !parsed.success) return { ok: false, errors };
  return { ok: true, config: parsed.data };
}

/** Why a stack name cannot be used (it is part of AWS resource names), or undefined when it can. */
export function stackNameProblem(stack: string): string | undefined {
  if (/^[a-z]([a-z0-9-]*[a-z0-9])?$/.test(stack) && !stack.includes('--') && stack.length <= STACK_NAME_MAX) return undefined;
  return `${show(stack)} must be 1-${STACK_NAME_MAX} characters of [a-z0-9-], starting with a letter, not ending with a hyphen, without "--" (it is part of AWS resource names)`;
}

/** `['app', 'smoke', 0, 'path']` -> `slipway:app.smoke[0].path` */
export function keyPath(path: readonly PropertyKey[]): string {
  let out = NAMESPACE;
  path.forEach((p, i) => {
    if (typeof p === 'number') out += `[${p}]`;
    else out += i === 0 ? `:${String(p)}` : `.${String(p)}`;
  });
  return out;
}

function explain(issue: z.core.$ZodIssue, schema: z.ZodType, target: string): { path: PropertyKey[]; message: string }[] {
  if (issue.code === 'unrecognized_keys') {
    const allowed = Object.keys(shapeAt(schema, issue.path) ?? {});
    return issue.keys.map((k) => ({
      path: [...issue.path, clip(k)],
      message:
        issue.path.length === 0 && OTHER_TARGET_KEYS[target]?.includes(k)
          ? `not allowed when target is ${target} (${NOT_ON_TARGET[target]?.[k] ?? `allowed: ${allowed.join(', ')}`})`
          : `unknown key (${[suggest(k, allowed), `allowed: ${allowed.join(', ')}`].filter(Boolean).join(' ')})`,
    }));
  }
  if (issue.code === 'invalid_type') {
    if (issue.input === undefined) return [{ path: issue.path, message: 'missing (required)' }];
    if (issue.expected === 'object') {
      const keys = Object.keys(shapeAt(schema, issue.path) ?? {});
      return [{ path: issue.path, message: wrongType(issue.input, keys.length ? `a mapping (keys: ${keys.join(', ')})` : 'a mapping') }];
    }
  }
  return [{ path: issue.path, message: issue.message }];
}

const AWS_KEY_SET: ReadonlySet<string> = new Set(AWS_PROVIDER_KEYS);

/** `did you mean aws:region?` when one known key is close to `key`. */
export function suggest(key: string, known: readonly string[], prefix = ''): string | undefined {
  const best = closest(key, known);
  return best === undefined ? undefined : `did you mean ${prefix}${best}?`;
}

/** The known word nearest to `word` by edit distance (case-insensitive), if near enough to be a typo. */
export function closest(word: string, known: readonly string[]): string | undefined {
  if (word.length > 64) return undefined; // not a typo of a short key; and keeps the work bounded
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const near = Math.max(1, Math.floor(k.length / 3)); // a typo: about one edit in three characters
    if (Math.abs(k.length - w.length) > near) continue;
    const d = editDistance(w, k.toLowerCase());
    if (d <= near && d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

/** Levenshtein distance with adjacent transpositions counted as one edit (`regoin` → `region`: 1). */
export function editDistance(a: string, b: string): number {
  // Three rolling rows: the one before the previous is needed for transpositions.
  let before = new Array<number>(b.length + 1).fill(0);
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let row = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2]! + 1);
      row[j] = d;
    }
    [before, prev, row] = [prev, row, before];
  }
  return prev[b.length]!;
}

// Keys that belong to the other target, so the message can say why they are refused.
const OTHER_TARGET_KEYS: Record<string, string[]> = {
  docker: ['network', 'alarms', 'logs', 'domain'],
  aws: ['ports', 'router'],
};

/** Why a key of the other target is refused, where that says more than the list of allowed keys. */
const NOT_ON_TARGET: Record<string, Record<string, string>> = {
  docker: { domain: 'HTTPS and a domain are AWS only; the local router serves plain HTTP on 127.0.0.1' },
};

/** The object shape at `path` inside `schema`, looking through optional/default/array wrappers. */
export function shapeAt(schema: z.ZodType, path: readonly PropertyKey[]): Record<string, z.ZodType> | undefined {
  let node: z.ZodType | undefined = unwrap(schema);
  for (const p of path) {
    if (!node) return undefined;
    const def = node._zod.def as unknown as Record<string, unknown>;
    if (def.type === 'object') node = unwrap((def.shape as Record<string, z.ZodType>)[String(p)]);
    else if (def.type === 'array') node = unwrap(def.element as z.ZodType);
    else return undefined;
  }
  const def = node?._zod.def as unknown as Record<string, unknown> | undefined;
  return def?.type === 'object' ? (def.shape as Record<string, z.ZodType>) : undefined;
}

export function unwrap(node: z.ZodType | undefined): z.ZodType | undefined {
  let n = node;
  while (n) {
    const def = n._zod.def as unknown as Record<string, unknown>;
    if (['optional', 'default', 'prefault', 'nullable', 'readonly'].includes(def.type as string)) n = def.innerType as z.ZodType;
    else break;
  }
  return n;
}

/** Stable hash of a validated configuration (keys sorted), for outputs and the ledger. */
export function configHash(config: SlipwayConfig): string {
  return `sha256:${createHash('sha256').update(canonicalJson(config)).digest('hex')}`;
}

