// Shared test helpers over the offline planner: the real program under the SDK's mock runtime.
import { readStackConfig } from '../stacks/load';
import { planStack, type Plan, type PlannedResource } from '../pipeline/review/plan';

export const ROOT = new URL('..', import.meta.url).pathname;

/** A deep copy of a shipped stack's raw config (`slipway:app` → value), to vary in a test. */
export function rawStack(stack: string): Record<string, any> {
  const raw = readStackConfig(stack, ROOT);
  if (typeof raw === 'string') throw new Error(raw);
  return structuredClone(raw);
}

/** Plans a stack (optionally with edited config); throws on validation errors. */
export async function plan(stack: string, edit?: (raw: Record<string, any>) => void): Promise<Plan> {
  const raw = rawStack(stack);
  edit?.(raw);
  const result = await planStack(stack, { root: ROOT, config: raw });
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.plan;
}

export function ofType(p: Plan, type: string): PlannedResource[] {
  return p.resources.filter((r) => r.type === type);
}

/** The one resource of `type` whose logical name is `name`. */
export function named(p: Plan, type: string, name: string): PlannedResource {
  const found = p.resources.filter((r) => r.type === type && r.name === name);
  if (found.length !== 1) {
    throw new Error(`expected one ${type} named ${name}, found ${found.length}: ${ofType(p, type).map((r) => r.name).join(', ')}`);
  }
  return found[0]!;
}

export const DIGEST_A = `sha256:${'a'.repeat(64)}`;
export const DIGEST_B = `sha256:${'b'.repeat(64)}`;
