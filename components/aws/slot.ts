// One blue-green slot: its log group and alarms always exist; its task definition and ECS service
// exist only while the slot holds a release. Blue and green differ only in what they run.
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { EMPTY_CONFIG_ID } from '../../stacks/appEnv';
import type { AwsConfig, Slot as SlotName } from '../../stacks/schema';
import type { AppConfig } from '../appConfig';
import type { SlotSpec } from '../slots';
import { SlotScaling, type ScalingSpec } from './scaling';
import { secretValueFrom } from './appSecrets';

export interface SlotNames {
  logGroup: string;
  taskFamily: string;
  service: string;
  /** Alarm name for one of `alarmSpecs()`' keys. */
  alarm: (what: string) => string;
}

export interface SlotArgs {
  /** What the slot runs: `running: false` means no task definition and no service. */
  spec: SlotSpec;
  names: SlotNames;
  /** Tags on every resource of the slot (the slot tag included). */
  tags: Record<string, string>;
  /** Port the container listens on (and the target group sends to). */
  appPort: number;
  /** Fargate task size and how many tasks run while the slot holds a release. */
  capacity: AwsConfig['capacity'];
  alarms: AwsConfig['alarms'];
  /** CloudWatch Logs retention, days. */
  retentionDays: number;
  /** KMS key that encrypts the log group; default: CloudWatch Logs' own encryption. */
  logsKmsKeyArn?: string;
  /**
   * Application Auto Scaling of the service (components/aws/scaling.ts), with the policy's physical
   * name; the service then leaves its task count to it. Default: a fixed `capacity.desiredCount`.
   */
  scaling?: { spec: ScalingSpec; policyName: string };
  /** The cluster's name: the scalable target is `service/<cluster>/<service>`. */
  clusterName: pulumi.Input<string>;
  /** The load balancer's and this slot's target group's `arnSuffix`: the alarms' dimensions. */
  loadBalancerArnSuffix: pulumi.Input<string>;
  targetGroup: { arn: pulumi.Input<string>; arnSuffix: pulumi.Input<string> };
  /** Where tasks run. */
  clusterArn: pulumi.Input<string>;
  executionRoleArn: pulumi.Input<string>;
  /** Private subnets; tasks get no public IP. */
  subnetIds: pulumi.Input<string>[];
  securityGroupId: pulumi.Input<string>;
  /**
   * What the service waits for: the listeners (a target group must be attached to the load balancer
   * before a service can use it), the execution role's policy, the private subnets' routes out.
   */
  serviceDependsOn: pulumi.Resource[];
  /**
   * The app's variables: plain ones in the container's `environment`, secret ones through `secrets`
   * from `secretArn` (written by `secretWritten`). `keep`: the slot runs a release deployed with another
   * configuration and keeps it (components/appConfig.ts). Default: no variables.
   */
  app?: { config: AppConfig; keep: boolean; secretArn?: pulumi.Input<string>; secretWritten?: pulumi.Resource };
}

/** The container's name in the task definition and the service's load balancer mapping. */
export const CONTAINER_NAME = 'app';

/** The rollback signals the pipeline reads after a switch. */
export function alarmSpecs(alarms: AwsConfig['alarms']) {
  return [
    { key: '5xx', metricName: 'HTTPCode_Target_5XX_Count', statistic: 'Sum', threshold: alarms.http5xxThreshold, description: 'targets answer with 5xx' },
    { key: 'unhealthy', metricName: 'UnHealthyHostCount', statistic: 'Maximum', threshold: alarms.unhealthyHostsThreshold, description: 'targets fail health checks' },
  ] as const;
}

export interface ContainerParams {
  image: string;
  version: string;
  port: number;
  logGroup: string;
  region: string;
  slot: SlotName;
  /** Plain variables of the app. */
  env?: Readonly<Record<string, string>>;
  /** Secret variables: their names, read from the slot's secret (`secretArn`). */
  secretNames?: readonly string[];
  secretArn?: string;
  /** Id of the app configuration: a label, so a changed secret value makes a new task definition revision. */
  configId?: string;
}

/**
 * The task's one container: the pinned image, its version and the app's plain variables in the
 * environment, its secret variables through `secrets` (ECS reads them when a task starts; they never
 * appear in the task definition), logs to the slot's group.
 */
export function containerDefinitions(p: ContainerParams) {
  const names = p.secretNames ?? [];
  if (names.length > 0 && !p.secretArn) throw new Error(`internal: slot ${p.slot} has secret variables but no secret`);
  const env = p.env ?? {};
  return [
    {
      name: CONTAINER_NAME,
      image: p.image,
      essential: true,
      portMappings: [{ containerPort: p.port, protocol: 'tcp' }],
      environment: [{ name: 'APP_VERSION', value: p.version }, ...Object.keys(env).sort().map((name) => ({ name, value: env[name]! }))],
      ...(names.length > 0 ? { secrets: names.map((name) => ({ name, valueFrom: secretValueFrom(p.secretArn!, name) })) } : {}),
      ...(p.configId && p.configId !== EMPTY_CONFIG_ID ? { dockerLabels: { 'slipway.config': p.configId } } : {}),
      logConfiguration: {
        logDriver: 'awslogs',
        options: { 'awslogs-group': p.logGroup, 'awslogs-region': p.region, 'awslogs-stream-prefix': p.slot },
      },
    },
  ];
}

export class Slot extends pulumi.ComponentResource {
  readonly logGroupName: pulumi.Output<string>;
  readonly alarmNames: pulumi.Output<string>[];
  /** The ECS service name, or undefined when the slot has no release. */
  readonly serviceName?: pulumi.Output<string>;

  constructor(name: string, args: SlotArgs, opts?: pulumi.ComponentResourceOptions) {
    super('slipway:aws:Slot', name, {}, opts);
    const { spec } = args;
    if (spec.running !== Boolean(spec.image && spec.version)) throw new Error(`release.${spec.slot}: a slot runs exactly when it has both image and version`);

    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { name: args.names.logGroup, retentionInDays: args.retentionDays, kmsKeyId: args.logsKmsKeyArn, tags: args.tags },
      { parent: this },
    );
    const alarms = alarmSpecs(args.alarms).map(
      (a) =>
        new aws.cloudwatch.MetricAlarm(
          `${name}-${a.key}`,
          {
            name: args.names.alarm(a.key),
            alarmDescription: `${spec.slot} slot: ${a.description}`,
            namespace: 'AWS/ApplicationELB',
            metricName: a.metricName,
            statistic: a.statistic,
            comparisonOperator: 'GreaterThanOrEqualToThreshold',
            threshold: a.threshold,
            period: args.alarms.periodSeconds,
            evaluationPeriods: args.alarms.evaluationPeriods,
            // An idle slot with no traffic has no data points: that is healthy, not an alarm.
            treatMissingData: 'notBreaching',
            dimensions: { LoadBalancer: args.loadBalancerArnSuffix, TargetGroup: args.targetGroup.arnSuffix },
            tags: args.tags,
          },
          { parent: this },
        ),
    );

    if (spec.image && spec.version) this.serviceName = this.createService(name, args, { image: spec.image, version: spec.version }, logGroup);

    this.logGroupName = logGroup.name;
    this.alarmNames = alarms.map((a) => a.name);
    this.registerOutputs({ logGroupName: this.logGroupName, alarmNames: this.alarmNames, serviceName: this.serviceName });
  }

  private createService(name: string, args: SlotArgs, release: { image: string; version: string }, logGroup: aws.cloudwatch.LogGroup): pulumi.Output<string> {
    const region = aws.getRegionOutput({}, { parent: this }).region;
    const app = args.app;
    const task = new aws.ecs.TaskDefinition(
      `${name}-task`,
      {
        family: args.names.taskFamily,
        requiresCompatibilities: ['FARGATE'],
        networkMode: 'awsvpc',
        cpu: String(args.capacity.cpu),
        memory: String(args.capacity.memory),
        executionRoleArn: args.executionRoleArn,
        containerDefinitions: pulumi
          .all([logGroup.name, region, app?.secretArn ?? ''])
          .apply(([group, r, secretArn]) =>
            JSON.stringify(
              containerDefinitions({
                ...release,
                port: args.appPort,
                logGroup: group,
                region: r,
                slot: args.spec.slot,
                ...(app ? { env: app.config.env, secretNames: app.config.secretNames, secretArn, configId: app.config.id } : {}),
              }),
            ),
          ),
        tags: args.tags,
      },
      // A slot deployed with another configuration keeps its container definition, and so its values.
      { parent: this, dependsOn: app?.secretWritten ? [app.secretWritten] : [], ...(app?.keep ? { ignoreChanges: ['containerDefinitions'] } : {}) },
    );
    const service = new aws.ecs.Service(
      `${name}-service`,
      {
        name: args.names.service,
        cluster: args.clusterArn,
        taskDefinition: task.arn,
        launchType: 'FARGATE',
        desiredCount: args.capacity.desiredCount,
        networkConfiguration: { subnets: args.subnetIds, securityGroups: [args.securityGroupId], assignPublicIp: false },
        loadBalancers: [{ targetGroupArn: args.targetGroup.arn, containerName: CONTAINER_NAME, containerPort: args.appPort }],
        healthCheckGracePeriodSeconds: 30,
        // Roll out new tasks before stopping old ones, and undo a deployment whose tasks keep failing.
        deploymentMinimumHealthyPercent: 100,
        deploymentMaximumPercent: 200,
        deploymentCircuitBreaker: { enable: true, rollback: true },
        // `pulumi up` returns only once the slot's tasks are running and healthy.
        waitForSteadyState: true,
        propagateTags: 'SERVICE',
        enableEcsManagedTags: true,
        tags: args.tags,
      },
      // A service name is unique in its cluster, so a forced replacement (`slipway drill`) deletes first.
      // With scaling, Application Auto Scaling owns the task count: desiredCount only sets the start.
      { parent: this, dependsOn: args.serviceDependsOn, deleteBeforeReplace: true, ...(args.scaling ? { ignoreChanges: ['desiredCount'] } : {}) },
    );
    if (args.scaling) {
      new SlotScaling(
        `${name}-scaling`,
        {
          spec: args.scaling.spec,
          policyName: args.scaling.policyName,
          resourceId: pulumi.interpolate`service/${args.clusterName}/${service.name}`,
          resourceLabel: pulumi.interpolate`${args.loadBalancerArnSuffix}/${args.targetGroup.arnSuffix}`,
          tags: args.tags,
        },
        { parent: this },
      );
    }
    return service.name;
  }
}
