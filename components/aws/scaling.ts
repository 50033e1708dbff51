// Application Auto Scaling for one slot's ECS service: a scalable target and a target-tracking policy.
// Both slots get them while they run; only the bounds say which slot is live. The live slot scales
// between the stack's min and max, the idle one is held at desiredCount (min = max), so it stays warm
// and a rollback lands on at least desiredCount tasks. A switch moves the bounds: in-place updates.
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { AwsConfig } from '../../stacks/schema';

/** The metric a slot tracks: its service's average CPU, or requests per task through its own target group. */
export type ScalingMetric = 'cpu' | 'requests';

/** How one slot scales: its bounds and the metric with the value to hold it at. */
export interface ScalingSpec {
  min: number;
  max: number;
  metric: ScalingMetric;
  /** Percent CPU, or requests per task per minute. */
  targetValue: number;
}

export const SCALABLE_DIMENSION = 'ecs:service:DesiredCount';
export const SERVICE_NAMESPACE = 'ecs';

/** CloudWatch's predefined metric per ScalingMetric. */
export const PREDEFINED_METRIC: Record<ScalingMetric, string> = {
  cpu: 'ECSServiceAverageCPUUtilization',
  requests: 'ALBRequestCountPerTarget',
};

/** Seconds between scaling steps: out quickly under load, in slowly so a burst does not bounce. */
export const COOLDOWN = { scaleOut: 60, scaleIn: 300 } as const;

/**
 * How a slot scales, or undefined when the stack sets no scaling target (the service then runs
 * desiredCount tasks, as the stack says). The live slot gets min (default desiredCount) to max; the
 * idle slot min = max = desiredCount.
 */
export function slotScaling(capacity: AwsConfig['capacity'], live: boolean): ScalingSpec | undefined {
  const metric: ScalingMetric | undefined = capacity.cpuPercent !== undefined ? 'cpu' : capacity.requestsPerTarget !== undefined ? 'requests' : undefined;
  if (metric === undefined) return undefined;
  const targetValue = (metric === 'cpu' ? capacity.cpuPercent : capacity.requestsPerTarget)!;
  const desired = capacity.desiredCount;
  return live
    ? { min: capacity.min ?? desired, max: capacity.max ?? desired, metric, targetValue }
    : { min: desired, max: desired, metric, targetValue };
}

/**
 * The policy's metric. The request count needs a resource label naming the load balancer and the
 * slot's own target group (`app/<alb>/<id>/targetgroup/<tg>/<id>`), so it counts only that slot's requests.
 */
export function predefinedMetric<T>(metric: ScalingMetric, resourceLabel: T) {
  return metric === 'requests'
    ? { predefinedMetricType: PREDEFINED_METRIC.requests, resourceLabel }
    : { predefinedMetricType: PREDEFINED_METRIC.cpu };
}

export interface SlotScalingArgs {
  spec: ScalingSpec;
  /** `service/<cluster name>/<service name>`: the ECS service to scale. */
  resourceId: pulumi.Input<string>;
  /** `<load balancer arnSuffix>/<this slot's target group arnSuffix>`; read only for the request metric. */
  resourceLabel: pulumi.Input<string>;
  /** Physical name of the policy, unique per service and metric (e.g. `shop-prod-blue-cpu`). */
  policyName: string;
  /** Tags on the scalable target (the policy takes none). */
  tags: Record<string, string>;
}

export class SlotScaling extends pulumi.ComponentResource {
  readonly policyName: pulumi.Output<string>;

  constructor(name: string, args: SlotScalingArgs, opts?: pulumi.ComponentResourceOptions) {
    super('slipway:aws:SlotScaling', name, {}, opts);
    const { spec } = args;
    if (!(spec.min >= 1 && spec.min <= spec.max)) throw new Error(`capacity: scaling bounds ${spec.min}..${spec.max} are not 1 <= min <= max`);

    const target = new aws.appautoscaling.Target(
      `${name}-target`,
      {
        serviceNamespace: SERVICE_NAMESPACE,
        scalableDimension: SCALABLE_DIMENSION,
        resourceId: args.resourceId,
        minCapacity: spec.min,
        maxCapacity: spec.max,
        tags: args.tags,
      },
      { parent: this },
    );
    const policy = new aws.appautoscaling.Policy(
      `${name}-policy`,
      {
        name: args.policyName,
        policyType: 'TargetTrackingScaling',
        // From the target's outputs, so the policy waits for it.
        serviceNamespace: target.serviceNamespace,
        scalableDimension: target.scalableDimension,
        resourceId: target.resourceId,
        targetTrackingScalingPolicyConfiguration: {
          targetValue: spec.targetValue,
          predefinedMetricSpecification: predefinedMetric(spec.metric, args.resourceLabel),
          scaleOutCooldown: COOLDOWN.scaleOut,
          scaleInCooldown: COOLDOWN.scaleIn,
        },
      },
      { parent: this },
    );

    this.policyName = policy.name;
    this.registerOutputs({ policyName: this.policyName });
  }
}
