// Physical names and tags. Every AWS name we set is derived here so its length limit is checked
// in one place (and property-tested for the longest names the schema accepts).
import { ELB_NAME_MAX } from '../stacks/limits';
import type { Slot, SlipwayConfig } from '../stacks/schema';

export interface NameParts {
  app: string;
  stack: string;
}

/** Joins parts with `-`; throws if the result exceeds `max` (a bug: the schema should prevent it). */
export function physicalName(max: number, ...parts: string[]): string {
  const name = parts.join('-');
  if (name.length > max) throw new Error(`internal: name "${name}" is longer than ${max} characters`);
  return name;
}

/** Every physical name of one environment. */
export function environmentNames({ app, stack }: NameParts) {
  return {
    /** ALB: <= 32, [a-zA-Z0-9-], not starting with `internal-`. */
    loadBalancer: physicalName(ELB_NAME_MAX, app, stack),
    targetGroup: (slot: Slot) => physicalName(ELB_NAME_MAX, app, stack, slot),
    cluster: physicalName(255, app, stack),
    service: (slot: Slot) => physicalName(255, app, stack, slot),
    taskFamily: (slot: Slot) => physicalName(255, app, stack, slot),
    logGroup: (slot: Slot) => `/slipway/${app}/${stack}/${slot}`,
    /** ECR: lower-case, <= 256; one repository per environment. */
    repository: `slipway/${app}-${stack}`,
    alarm: (slot: Slot, what: string) => physicalName(255, app, stack, slot, what),
    executionRole: physicalName(64, app, stack, 'exec'),
    /** Docker container and network names. */
    network: physicalName(63, app, stack),
    container: (slot: Slot) => physicalName(63, app, stack, slot),
    router: physicalName(63, app, stack, 'router'),
  };
}

export type EnvironmentNames = ReturnType<typeof environmentNames>;

/** Tags (AWS) or labels (Docker) every resource of the environment carries. */
export function baseTags(config: SlipwayConfig, stack: string): Record<string, string> {
  return {
    ...config.tags,
    environment: stack,
    app: config.app.name,
    'managed-by': 'slipway',
  };
}

export function slotTags(config: SlipwayConfig, stack: string, slot: Slot): Record<string, string> {
  return { ...baseTags(config, stack), slot };
}
