// One AWS environment: network, firewall, load balancer with a target group per slot (HTTPS on the
// stack's domain when it names one, access logs in a bucket of its own), an ECS cluster, and the blue
// and green slots. Which slot is live is only the load balancer's routing and the slots' scaling bounds.
import * as pulumi from '@pulumi/pulumi';
import { awsConfigSchema, SLOTS, type AwsConfig, type Slot as SlotName } from '../../stacks/schema';
import { keyPath, stackNameProblem } from '../../stacks/validate';
import { appConfigFor, keepsOwnConfig, type AppConfig } from '../appConfig';
import { baseTags, environmentNames, slotTags, type EnvironmentNames } from '../naming';
import { slotSpec } from '../slots';
import { AccessLogs } from './access-logs';
import { AppSecrets } from './appSecrets';
import { Certificate } from './certificate';
import { Cluster } from './cluster';
import { Firewall } from './firewall';
import { HTTPS_PORT, LoadBalancer } from './load-balancer';
import { Network } from './network';
import { slotScaling, type ScalingSpec } from './scaling';
import { Slot } from './slot';

export interface AwsEnvironmentArgs {
  /** The stack's validated configuration (`target: aws`). */
  config: AwsConfig;
  /** Stack name, e.g. `prod`: part of every physical name and the `environment` tag. */
  stack: string;
  /** The app's variables and secrets, the same for both slots (components/appConfig.ts). Default: none. */
  appConfig?: AppConfig;
}

const PRODUCTION_PORT = 80;

/** Key prefix of the load balancer's access logs in their bucket. */
const ACCESS_LOG_PREFIX = 'alb';

/**
 * Checks the arguments again at the component's edge (the program validates stack files, but the
 * component can be built from code too) and throws one line naming the first bad field.
 */
export function validateAwsEnvironmentArgs(args: AwsEnvironmentArgs): void {
  const stackProblem = stackNameProblem(args.stack);
  if (stackProblem) throw new Error(`stack: ${stackProblem}`);
  const parsed = awsConfigSchema.safeParse(args.config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${keyPath(issue.path)}: ${issue.message}`);
  }
}

export class AwsEnvironment extends pulumi.ComponentResource {
  readonly publicUrl: pulumi.Output<string>;
  readonly testUrl: pulumi.Output<string>;
  readonly loadBalancerArn: pulumi.Output<string>;
  readonly loadBalancerDnsName: pulumi.Output<string>;
  readonly targetGroupArns: Record<SlotName, pulumi.Output<string>>;
  /** The rollback signals the pipeline watches after a switch, per slot. */
  readonly alarmNames: Record<SlotName, pulumi.Output<string>[]>;
  readonly repositoryUrl: pulumi.Output<string>;
  readonly clusterName: pulumi.Output<string>;

  private readonly config: AwsConfig;
  private readonly stack: string;
  private readonly names: EnvironmentNames;
  private readonly app: AppConfig;

  constructor(name: string, args: AwsEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super('slipway:aws:Environment', name, {}, opts);
    validateAwsEnvironmentArgs(args);
    this.config = args.config;
    this.stack = args.stack;
    this.names = environmentNames({ app: args.config.app.name, stack: args.stack });
    this.app = args.appConfig ?? appConfigFor(args.config);

    const network = this.createNetwork(name);
    const firewall = this.createFirewall(name, network);
    const cluster = this.createCluster(name);
    const secrets = this.createSecrets(name, cluster);
    const lb = this.createLoadBalancer(name, network, firewall, { certificateArn: this.createCertificate(name), accessLogs: this.createAccessLogs(name) });
    const slots = this.createSlots(name, { network, firewall, cluster, lb, secrets });

    this.loadBalancerArn = lb.arn;
    this.loadBalancerDnsName = lb.dnsName;
    const { domain } = this.config;
    const testPort = this.config.network.testListenerPort;
    this.publicUrl = domain ? pulumi.output(`https://${domain.name}`) : pulumi.interpolate`http://${lb.dnsName}`;
    this.testUrl = domain ? pulumi.output(`https://${domain.name}:${testPort}`) : pulumi.interpolate`http://${lb.dnsName}:${testPort}`;
    this.targetGroupArns = { blue: lb.targetGroups.blue.arn, green: lb.targetGroups.green.arn };
    this.alarmNames = { blue: slots.blue.alarmNames, green: slots.green.alarmNames };
    this.repositoryUrl = cluster.repositoryUrl;
    this.clusterName = cluster.clusterName;
    this.registerOutputs({
      publicUrl: this.publicUrl,
      testUrl: this.testUrl,
      loadBalancerArn: this.loadBalancerArn,
      targetGroupArns: this.targetGroupArns,
      alarmNames: this.alarmNames,
      repositoryUrl: this.repositoryUrl,
      clusterName: this.clusterName,
    });
  }

  private get tags(): Record<string, string> {
    return baseTags(this.config, this.stack);
  }

  private get nameParts() {
    return { app: this.config.app.name, stack: this.stack };
  }

  private createNetwork(name: string): Network {
    const { vpcCidr, azCount, natGateways } = this.config.network;
    return new Network(`${name}-network`, { names: this.nameParts, vpcCidr, azCount, natGateways, tags: this.tags }, { parent: this });
  }

  private createFirewall(name: string, network: Network): Firewall {
    const { testListenerPort, testListenerCidrs } = this.config.network;
    return new Firewall(
      `${name}-firewall`,
      {
        names: this.nameParts,
        vpcId: network.vpcId,
        productionPort: PRODUCTION_PORT,
        ...(this.config.domain ? { httpsPort: HTTPS_PORT } : {}),
        testPort: testListenerPort,
        testCidrs: testListenerCidrs,
        appPort: this.config.app.port,
        tags: this.tags,
      },
      { parent: this },
    );
  }

  private createCluster(name: string): Cluster {
    return new Cluster(
      `${name}-cluster`,
      { clusterName: this.names.cluster, repositoryName: this.names.repository, executionRoleName: this.names.executionRole, tags: this.tags },
      { parent: this },
    );
  }

  /** A Secrets Manager secret per slot whose tasks read secret variables, readable by the execution role. */
  private createSecrets(name: string, cluster: Cluster): AppSecrets {
    const slot = (s: SlotName) => {
      const keep = keepsOwnConfig(this.config, s, this.app);
      return { keep, needed: slotSpec(this.config, s).running && (this.app.secretNames.length > 0 || keep) };
    };
    return new AppSecrets(
      `${name}-secrets`,
      {
        slots: { blue: slot('blue'), green: slot('green') },
        names: { blue: this.names.secret('blue'), green: this.names.secret('green') },
        values: this.app.secrets,
        // The role's name, once the role exists.
        executionRole: cluster.executionRoleArn.apply(() => this.names.executionRole),
        tags: { blue: slotTags(this.config, this.stack, 'blue'), green: slotTags(this.config, this.stack, 'green') },
      },
      { parent: this },
    );
  }

  /** The certificate of the stack's domain: requested and validated in its zone, or the one it names. */
  private createCertificate(name: string): pulumi.Input<string> | undefined {
    const { domain } = this.config;
    if (!domain) return undefined;
    if (domain.certificateArn) return domain.certificateArn;
    return new Certificate(`${name}-certificate`, { domainName: domain.name, zoneId: domain.zoneId!, tags: this.tags }, { parent: this }).arn;
  }

  /** The access-log bucket; a production stack's (manual approval) keeps its logs when the stack is destroyed. */
  private createAccessLogs(name: string): AccessLogs {
    return new AccessLogs(
      `${name}-access-logs`,
      {
        bucketPrefix: this.names.accessLogBucketPrefix,
        prefix: ACCESS_LOG_PREFIX,
        expirationDays: this.config.logs.retentionDays,
        forceDestroy: !this.production,
        tags: this.tags,
      },
      { parent: this },
    );
  }

  /** Whether a person approves every switch: the stack is production, and its load balancer is protected. */
  private get production(): boolean {
    return this.config.promotion.approval === 'manual';
  }

  private createLoadBalancer(name: string, network: Network, firewall: Firewall, edge: { certificateArn?: pulumi.Input<string>; accessLogs: AccessLogs }): LoadBalancer {
    const { domain } = this.config;
    return new LoadBalancer(
      `${name}-lb`,
      {
        name: this.names.loadBalancer,
        targetGroupNames: { blue: this.names.targetGroup('blue'), green: this.names.targetGroup('green') },
        vpcId: network.vpcId,
        subnetIds: network.publicSubnetIds,
        securityGroupId: firewall.loadBalancerGroupId,
        appPort: this.config.app.port,
        healthPath: this.config.app.healthPath,
        live: this.config.release.live,
        productionPort: PRODUCTION_PORT,
        testPort: this.config.network.testListenerPort,
        ...(edge.certificateArn !== undefined ? { tls: { certificateArn: edge.certificateArn } } : {}),
        ...(domain?.zoneId ? { alias: { name: domain.name, zoneId: domain.zoneId } } : {}),
        deletionProtection: this.production,
        accessLogs: { bucket: edge.accessLogs.bucket, prefix: edge.accessLogs.prefix, ready: edge.accessLogs.ready },
        tags: this.tags,
        slotTags: { blue: slotTags(this.config, this.stack, 'blue'), green: slotTags(this.config, this.stack, 'green') },
      },
      { parent: this },
    );
  }

  private createSlots(
    name: string,
    deps: { network: Network; firewall: Firewall; cluster: Cluster; lb: LoadBalancer; secrets: AppSecrets },
  ): Record<SlotName, Slot> {
    const { network, firewall, cluster, lb, secrets } = deps;
    const make = (slot: SlotName) =>
      new Slot(
        `${name}-${slot}`,
        {
          spec: slotSpec(this.config, slot),
          names: {
            logGroup: this.names.logGroup(slot),
            taskFamily: this.names.taskFamily(slot),
            service: this.names.service(slot),
            alarm: (what) => this.names.alarm(slot, what),
          },
          tags: slotTags(this.config, this.stack, slot),
          appPort: this.config.app.port,
          capacity: this.config.capacity,
          alarms: this.config.alarms,
          retentionDays: this.config.logs.retentionDays,
          ...(this.config.logs.kmsKeyArn ? { logsKmsKeyArn: this.config.logs.kmsKeyArn } : {}),
          ...this.scalingOf(slot),
          loadBalancerArnSuffix: lb.arnSuffix,
          targetGroup: lb.targetGroups[slot],
          clusterArn: cluster.clusterArn,
          clusterName: cluster.clusterName,
          executionRoleArn: cluster.executionRoleArn,
          subnetIds: network.privateSubnetIds,
          securityGroupId: firewall.taskGroupId,
          serviceDependsOn: [...lb.listeners, ...cluster.executionReady, ...network.privateEgress, ...secrets.ready],
          app: { config: this.app, keep: keepsOwnConfig(this.config, slot, this.app), secretArn: secrets.arns[slot], secretWritten: secrets.written[slot] },
        },
        { parent: this },
      );
    return Object.fromEntries(SLOTS.map((slot) => [slot, make(slot)])) as Record<SlotName, Slot>;
  }

  /** A slot's scaling: the stack's bounds for the live slot, desiredCount for the idle one; none without a target. */
  private scalingOf(slot: SlotName): { scaling?: { spec: ScalingSpec; policyName: string } } {
    const spec = slotScaling(this.config.capacity, slot === this.config.release.live);
    return spec ? { scaling: { spec, policyName: this.names.scalingPolicy(slot, spec.metric) } } : {};
  }
}
