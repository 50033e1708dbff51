// Where the load balancer writes its access logs: an S3 bucket of the environment's own, encrypted
// with S3-managed keys (the only encryption ALB log delivery supports), closed to the public, emptied
// of old logs by a lifecycle rule, and writable only by Elastic Load Balancing's log delivery.
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export interface AccessLogsArgs {
  /** Bucket name prefix (<= 37 characters); S3 completes it to a unique name. */
  bucketPrefix: string;
  /** Key prefix the load balancer writes under, e.g. `alb` (never containing `AWSLogs`). */
  prefix: string;
  /** Days an access log is kept before the lifecycle rule deletes it. */
  expirationDays: number;
  /** Whether `pulumi destroy` may delete the bucket with logs in it (not for production stacks). */
  forceDestroy: boolean;
  /** Tags on the bucket. */
  tags: Record<string, string>;
}

/** Elastic Load Balancing's log delivery service: the bucket policy's writer in every Region (AWS, September 2025). */
export const LOG_DELIVERY_PRINCIPAL = 'logdelivery.elasticloadbalancing.amazonaws.com';

/** ALB access logs support only SSE-S3 (`AES256`), not KMS keys. */
export const ACCESS_LOG_ENCRYPTION = 'AES256';

/**
 * The bucket policy: log delivery may put objects under `<prefix>/AWSLogs/<account>/` and nowhere
 * else, and nothing may reach the bucket without TLS.
 */
export function accessLogBucketPolicy(p: { bucketArn: string; accountId: string; prefix: string }) {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'LoadBalancerAccessLogs',
        Effect: 'Allow',
        Principal: { Service: LOG_DELIVERY_PRINCIPAL },
        Action: 's3:PutObject',
        Resource: `${p.bucketArn}/${p.prefix}/AWSLogs/${p.accountId}/*`,
      },
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [p.bucketArn, `${p.bucketArn}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ],
  };
}

export class AccessLogs extends pulumi.ComponentResource {
  /** The bucket's name, for the load balancer's `accessLogs.bucket`. */
  readonly bucket: pulumi.Output<string>;
  readonly prefix: string;
  /** What the load balancer must wait for: it checks that it may write when logging is turned on. */
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: AccessLogsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('slipway:aws:AccessLogs', name, {}, opts);
    if (args.prefix.includes('AWSLogs')) throw new Error(`internal: access log prefix ${args.prefix} contains AWSLogs`);

    const bucket = new aws.s3.Bucket(`${name}-bucket`, { bucketPrefix: args.bucketPrefix, forceDestroy: args.forceDestroy, tags: args.tags }, { parent: this });
    const ownership = new aws.s3.BucketOwnershipControls(
      `${name}-ownership`,
      // ACLs off: the bucket owner owns every object, whoever wrote it.
      { bucket: bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } },
      { parent: this },
    );
    const encryption = new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: ACCESS_LOG_ENCRYPTION } }] },
      { parent: this },
    );
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      { parent: this },
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      {
        bucket: bucket.id,
        rules: [
          {
            id: 'expire-access-logs',
            status: 'Enabled',
            filter: { prefix: `${args.prefix}/` },
            expiration: { days: args.expirationDays },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
          },
        ],
      },
      { parent: this },
    );
    const accountId = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
    const policy = new aws.s3.BucketPolicy(
      `${name}-policy`,
      {
        bucket: bucket.id,
        policy: pulumi.all([bucket.arn, accountId]).apply(([bucketArn, account]) => JSON.stringify(accessLogBucketPolicy({ bucketArn, accountId: account, prefix: args.prefix }))),
      },
      // One change to the bucket's access settings at a time: S3 refuses concurrent ones.
      { parent: this, dependsOn: [publicAccess, ownership] },
    );

    this.bucket = bucket.id;
    this.prefix = args.prefix;
    this.ready = [policy, encryption];
    this.registerOutputs({ bucket: this.bucket });
  }
}
