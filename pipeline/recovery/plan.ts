// What a rebuild or drill will do, as pure functions of the stack configuration and what the engine
// reports: the steps, which route must answer with which version, how the refresh found the
// environment, and which resources in the state make up one slot.
import type { SlipwayConfig, Slot } from '../../stacks/schema';
import { idleSlotOf } from '../../components/slots';
import type { PreviewStep } from '../engine/port';
import { UserError } from '../cli/errors';

export type RecoveryMode = 'state-lost' | 'resources-missing' | 'intact';

/** One route checked after the rebuild: the public one serves the live slot, the test one the idle. */
export interface RouteCheck {
  route: 'public' | 'test';
  slot: Slot;
  version: string;
}

export interface RecoveryPlan {
  /** Step names in order, as recorded in the ledger. */
  steps: string[];
  /** What each route must serve; the test route is left out when the idle slot has no release. */
  checks: RouteCheck[];
}

/**
 * The plan for rebuilding a stack. State lost: a fresh stack from the stack file, then `up`; state
 * present: `refresh` (drops what was deleted behind its back), then `up`. Both without a switch: the
 * live slot comes back live. A stack with nothing live has nothing to recover.
 */
export function recoveryPlan(stack: string, config: SlipwayConfig, stateExists: boolean): RecoveryPlan {
  const live = config.release.live;
  const idle = idleSlotOf(live);
  const liveVersion = config.release[live].version;
  if (!config.release[live].image || !liveVersion) {
    throw new UserError(`stack ${stack}: nothing to rebuild, the live slot ${live} has no release (slipway:release.${live}); deploy one with \`slipway deploy\``);
  }
  const checks: RouteCheck[] = [{ route: 'public', slot: live, version: liveVersion }];
  const idleVersion = config.release[idle].version;
  if (config.release[idle].image && idleVersion) checks.push({ route: 'test', slot: idle, version: idleVersion });
  return {
    steps: ['preflight', stateExists ? 'refresh' : 'create-stack', 'up', ...checks.map((c) => `smoke-${c.route}`)],
    checks,
  };
}

/** How a refresh found a stack whose state exists: anything gone (`delete`) means resources were missing. */
export function modeAfterRefresh(steps: readonly PreviewStep[]): RecoveryMode {
  return steps.some((s) => s.op === 'delete' || s.op === 'discard') ? 'resources-missing' : 'intact';
}

/** Resources an `up` created or replaced (what the recovery rebuilt). */
export function rebuiltCount(changes: Record<string, number>): number {
  return (changes.create ?? 0) + (changes.replace ?? 0);
}

/** The resource types that make up a slot and that a drill recreates: its container, or its ECS service and task. */
export const SLOT_WORKLOAD_TYPES: readonly string[] = [
  'docker:index/container:Container',
  'aws:ecs/service:Service',
  'aws:ecs/taskDefinition:TaskDefinition',
];

const SLOT_COMPONENT_TYPES = ['slipway:docker:Slot', 'slipway:aws:Slot'];

interface StateResource {
  urn: string;
  type: string;
  parent?: string;
}

/**
 * URNs of one slot's workload in an exported state (`{deployment: {resources}}`): the resources of
 * SLOT_WORKLOAD_TYPES under the slot's component (`slipway:*:Slot` named `<app>-<slot>`). Log groups,
 * alarms and target groups stay: a drill rebuilds what runs, not what observes or routes it.
 */
export function slotWorkloadUrns(state: unknown, app: string, slot: Slot): string[] {
  const resources = ((state as { deployment?: { resources?: StateResource[] } } | undefined)?.deployment?.resources ?? []).filter(
    (r): r is StateResource => typeof r?.urn === 'string' && typeof r.type === 'string',
  );
  const component = resources.find((r) => SLOT_COMPONENT_TYPES.includes(r.type) && r.urn.endsWith(`::${app}-${slot}`));
  if (!component) return [];
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const under = (r: StateResource): boolean => {
    for (let p = r.parent, hops = 0; p && hops < 100; p = byUrn.get(p)?.parent, hops++) if (p === component.urn) return true;
    return false;
  };
  return resources.filter((r) => SLOT_WORKLOAD_TYPES.includes(r.type) && under(r)).map((r) => r.urn);
}
