// Where the slots' tasks run and what they run as: the ECS cluster, the image repository, and the
// task execution role (pull images, write logs — nothing else).
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export interface ClusterArgs {
  /** Physical ECS cluster name. */
  clusterName: string;
  /** ECR repository name, lower-case, e.g. `slipway/shop-prod`. */
  repositoryName: string;
  /** IAM role name (<= 64 characters) for the task execution role. */
  executionRoleName: string;
  /** Tags on every resource. */
  tags: Record<string, string>;
}

/** The only policy the execution role gets: AWS's own, for image pulls and log writes. */
export const EXECUTION_POLICY = 'service-role/AmazonECSTaskExecutionRolePolicy';

/** Trust policy letting ECS tasks (and nothing else) assume a role. */
export function ecsTasksTrustPolicy(): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' }],
  });
}

export class Cluster extends pulumi.ComponentResource {
  readonly clusterArn: pulumi.Output<string>;
  readonly clusterName: pulumi.Output<string>;
  readonly repositoryUrl: pulumi.Output<string>;
  readonly executionRoleArn: pulumi.Output<string>;
  /** The role's policy attachment: tasks started before it exists cannot pull their image. */
  readonly executionReady: pulumi.Resource[];

  constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super('slipway:aws:Cluster', name, {}, opts);

    const cluster = new aws.ecs.Cluster(
      `${name}-ecs`,
      { name: args.clusterName, settings: [{ name: 'containerInsights', value: 'enabled' }], tags: args.tags },
      { parent: this },
    );
    // Immutable tags: a tag can never be moved to other bits, so a digest and its tag agree forever.
    const repository = new aws.ecr.Repository(
      `${name}-images`,
      { name: args.repositoryName, imageTagMutability: 'IMMUTABLE', imageScanningConfiguration: { scanOnPush: true }, tags: args.tags },
      { parent: this },
    );
    const role = new aws.iam.Role(
      `${name}-execution`,
      { name: args.executionRoleName, assumeRolePolicy: ecsTasksTrustPolicy(), description: 'ECS task execution: pull images, write logs', tags: args.tags },
      { parent: this },
    );
    const partition = aws.getPartitionOutput({}, { parent: this }).partition;
    const attachment = new aws.iam.RolePolicyAttachment(
      `${name}-execution-policy`,
      { role: role.name, policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/${EXECUTION_POLICY}` },
      { parent: this },
    );

    this.clusterArn = cluster.arn;
    this.clusterName = cluster.name;
    this.repositoryUrl = repository.repositoryUrl;
    this.executionRoleArn = role.arn;
    this.executionReady = [attachment];
    this.registerOutputs({ clusterName: this.clusterName, repositoryUrl: this.repositoryUrl, executionRoleArn: this.executionRoleArn });
  }
}
