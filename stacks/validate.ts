// Turns a stack's raw `slipway:*` configuration into a typed config, or into one error line per
// problem, each naming the stack file and the key path. Pure: callers supply the raw values.
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { STACK_NAME_MAX } from './limits';
import { schemaFor, show, targetSchema, TARGETS, type SlipwayConfig } from './schema';

export const NAMESPACE = 'slipway';

export type Validation =
  | { ok: true; config: SlipwayConfig }
  | { ok: false; errors: string[] };

export interface ValidateOptions {
  /** Stack name, e.g. `prod`. */
  stack: string;
  /** File shown in messages, e.g. `stacks/Pulumi.prod.yaml`. */
  file: string;
}

/**
 * Validates the configuration of one stack. `raw` maps config keys to values; keys of other
 * namespaces (`aws:region`, `pulumi:*`) are ignored, keys of ours are stripped of `slipway:`.
 */
export function validateStackConfig(raw: Record<string, unknown>, opts: ValidateOptions): Validation {
  const errors: string[] = [];
  const line = (key: string, message: string) => `${opts.file}: ${key}: ${message}`;

  const stackProblem = stackNameProblem(opts.stack);
  if (stackProblem) errors.push(line('stack', stackProblem));

  const ours: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const [ns, ...rest] = key.split(':');
    if (ns === NAMESPACE && rest.length > 0) ours[rest.join(':')] = value;
  }

  const target = targetSchema.safeParse(ours.target);
  if (!target.success) {
    errors.push(line(`${NAMESPACE}:target`, `${show(ours.target)} is not a target (${TARGETS.join(', ')})`));
    return { ok: false, errors };
  }
  const schema = schemaFor(target.data);
  const parsed = schema.safeParse(ours);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      for (const { path, message } of explain(issue, schema, target.data)) {
        errors.push(line(keyPath(path), message));
      }
    }
  }
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
      path: [...issue.path, k],
      message:
        issue.path.length === 0 && OTHER_TARGET_KEYS[target]?.includes(k)
          ? `not allowed when target is ${target} (allowed: ${allowed.join(', ')})`
          : `unknown key (allowed: ${allowed.join(', ')})`,
    }));
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return [{ path: issue.path, message: 'missing (required)' }];
  }
  if (issue.code === 'invalid_type' && issue.expected === 'object') {
    return [{ path: issue.path, message: `${show(issue.input)} is not a mapping` }];
  }
  return [{ path: issue.path, message: issue.message }];
}

// Keys that belong to the other target, so the message can say why they are refused.
const OTHER_TARGET_KEYS: Record<string, string[]> = {
  docker: ['network', 'alarms', 'logs'],
  aws: ['ports', 'router'],
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

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
