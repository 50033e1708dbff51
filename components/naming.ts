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
    /** Secrets Manager: <= 512 of `[A-Za-z0-9/_+=.@-]`; one secret per slot holds its app secrets. */
    secret: (slot: Slot) => `slipway/${app}/${stack}/${slot}`,
    /** ECR: lower-case, <= 256; one repository per environment. */
    repository: `slipway/${app}-${stack}`,
    alarm: (slot: Slot, what: string) => physicalName(255, app, stack, slot, what),
    /** Application Auto Scaling policy, per slot and metric (`cpu`, `requests`): <= 256. */
    scalingPolicy: (slot: Slot, metric: string) => physicalName(256, app, stack, slot, metric),
    /** S3 bucket for the load balancer's access logs: a prefix (<= 37) S3 completes to a unique name. */
    accessLogBucketPrefix: `${physicalName(S3_BUCKET_PREFIX_MAX - 1, app, stack, 'alb-logs')}-`,
    executionRole: physicalName(64, app, stack, 'exec'),
    /** Docker container and network names. */
    network: physicalName(63, app, stack),
    container: (slot: Slot) => physicalName(63, app, stack, slot),
    router: physicalName(63, app, stack, 'router'),
  };
}

export type EnvironmentNames = ReturnType<typeof environmentNames>;

/** `bucketPrefix` is at most 37 characters: S3 bucket names are at most 63, and 26 are the unique suffix. */
export const S3_BUCKET_PREFIX_MAX = 37;

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

/**
 * Names of the AWS network pieces. VPCs, subnets, gateways and route tables have no name of their
 * own, only a `Name` tag (what the console shows); security groups do have one, and it must not start
 * with `sg-` — an app may, so theirs lead with `slipway-`.
 */
export function networkNames({ app, stack }: NameParts) {
  const base = `${app}-${stack}`;
  return {
    vpc: base,
    /** `az` counts from 0; the tag counts from 1 like the console does. */
    subnet: (tier: 'public' | 'private', az: number) => physicalName(255, base, tier, String(az + 1)),
    internetGateway: base,
    natGateway: (index: number) => physicalName(255, base, 'nat', String(index + 1)),
    routeTable: (tier: 'public' | 'private', index?: number) =>
      index === undefined ? physicalName(255, base, tier) : physicalName(255, base, tier, String(index + 1)),
    /** Security group names: <= 255 characters. */
    securityGroup: (role: 'alb' | 'tasks') => physicalName(255, 'slipway', app, stack, role),
  };
}
