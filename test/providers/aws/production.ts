// The aws double's types for production-grade environments: the domain's certificate and DNS records
// (ACM, Route 53), the access-log bucket and its settings (S3), and the slots' scaling (Application
// Auto Scaling). Same rules as resources.ts: IDs and outputs in AWS's shapes, stable per URN.
//
// Shapes, and where they come from (terraform-provider-aws, which @pulumi/aws bridges):
// - ACM certificate: ID = ARN `arn:aws:acm:<region>:<account>:certificate/<uuid>`; one DNS validation
//   option per name, a CNAME `_<32 hex>.<name>.` → `_<32 hex>.<10 hex>.acm-validations.aws.`;
//   domain_name, subject_alternative_names, validation_method, key_algorithm force a new certificate.
// - Certificate validation: ID = the certificate's issue time as Go prints it; both inputs ForceNew.
// - Route 53 record: ID `<zone>_<name>_<type>`, fqdn = the name without its final dot; zone, name, type
//   and set identifier force a new record.
// - S3 bucket: ID = name; with bucket_prefix the name is the prefix and 26 digits (id.PrefixedUniqueId);
//   ARN `arn:aws:s3:::<name>`. Its configuration resources (ownership, encryption, public access block,
//   lifecycle, policy) have the bucket's name as ID and are replaced only for another bucket.
// - Application Auto Scaling: a scalable target's ID is its resource_id, ARN
//   `…:scalable-target/<36 chars>`; a policy's ID is its name, ARN
//   `arn:aws:autoscaling:<region>:<account>:scalingPolicy:<uuid>:resource/<namespace>/<resource id>:policyName/<name>`.
//   Changing the bounds of a target updates it in place.
import { digitsOf, hexOf, type AwsContext, type AwsTypeSpec } from './shapes';

/** `8-4-4-4-12` hex, stable per URN (and salt). */
function uuidOf(ctx: AwsContext, salt = ''): string {
  const h = hexOf(ctx, 32, salt);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A bucket configuration resource: one per bucket, named by it. */
function bucketSetting(required: readonly string[]): AwsTypeSpec {
  return { replaceOn: ['bucket', 'expectedBucketOwner'], required: ['bucket', ...required], make: (ctx) => ({ id: String(ctx.inputs.bucket), outs: {} }) };
}

/** Route 53's hosted zone for S3 website and alias targets in a region (us-east-1's, as the double is there by default). */
const S3_HOSTED_ZONE = 'Z3AQBSTGFYJSTF';

export const PRODUCTION_TYPES: Record<string, AwsTypeSpec> = {
  'aws:acm/certificate:Certificate': {
    replaceOn: ['domainName', 'subjectAlternativeNames', 'validationMethod', 'keyAlgorithm', 'certificateAuthorityArn'],
    required: ['domainName'],
    make: (ctx) => {
      const arn = `arn:aws:acm:${ctx.region}:${ctx.account}:certificate/${uuidOf(ctx)}`;
      const name = String(ctx.inputs.domainName);
      return {
        id: arn,
        outs: {
          arn,
          domainValidationOptions: [
            {
              domainName: name,
              resourceRecordName: `_${hexOf(ctx, 32, 'record')}.${name}.`,
              resourceRecordType: 'CNAME',
              resourceRecordValue: `_${hexOf(ctx, 32, 'value')}.${hexOf(ctx, 10, 'acm')}.acm-validations.aws.`,
            },
          ],
          keyAlgorithm: 'RSA_2048',
          status: 'ISSUED',
          type: 'AMAZON_ISSUED',
          validationEmails: [],
        },
      };
    },
  },
  'aws:acm/certificateValidation:CertificateValidation': {
    replaceOn: ['certificateArn', 'validationRecordFqdns'],
    required: ['certificateArn'],
    make: () => ({ id: '2024-01-01 00:00:00 +0000 UTC', outs: {} }),
  },
  'aws:route53/record:Record': {
    replaceOn: ['zoneId', 'name', 'type', 'setIdentifier'],
    required: ['zoneId', 'name', 'type'],
    make: (ctx) => {
      const fqdn = String(ctx.inputs.name).replace(/\.$/, '').toLowerCase();
      return { id: [ctx.inputs.zoneId, fqdn, ctx.inputs.type, ctx.inputs.setIdentifier].filter(Boolean).join('_'), outs: { fqdn } };
    },
  },
  'aws:s3/bucket:Bucket': {
    replaceOn: ['bucket', 'bucketPrefix', 'objectLockEnabled'],
    make: (ctx) => {
      const name = String(ctx.inputs.bucket ?? `${ctx.inputs.bucketPrefix ?? 'terraform-'}${digitsOf(ctx, 26)}`);
      return {
        id: name,
        outs: {
          bucket: name,
          arn: `arn:aws:s3:::${name}`,
          bucketDomainName: `${name}.s3.amazonaws.com`,
          bucketRegionalDomainName: `${name}.s3.${ctx.region}.amazonaws.com`,
          hostedZoneId: S3_HOSTED_ZONE,
          region: ctx.region,
        },
      };
    },
  },
  'aws:s3/bucketOwnershipControls:BucketOwnershipControls': bucketSetting(['rule']),
  'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration': bucketSetting(['rules']),
  'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock': bucketSetting([]),
  'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration': bucketSetting(['rules']),
  'aws:s3/bucketPolicy:BucketPolicy': bucketSetting(['policy']),
  'aws:appautoscaling/target:Target': {
    replaceOn: ['resourceId', 'scalableDimension', 'serviceNamespace'],
    required: ['resourceId', 'scalableDimension', 'serviceNamespace', 'minCapacity', 'maxCapacity'],
    make: (ctx) => ({
      id: String(ctx.inputs.resourceId),
      outs: { arn: `arn:aws:application-autoscaling:${ctx.region}:${ctx.account}:scalable-target/0e${hexOf(ctx, 34)}` },
    }),
  },
  'aws:appautoscaling/policy:Policy': {
    replaceOn: ['name', 'resourceId', 'scalableDimension', 'serviceNamespace'],
    required: ['resourceId', 'scalableDimension', 'serviceNamespace'],
    autoName: { property: 'name', maxLength: 255 },
    make: (ctx) => {
      const { name, serviceNamespace, resourceId } = ctx.inputs;
      return {
        id: String(name),
        outs: {
          arn: `arn:aws:autoscaling:${ctx.region}:${ctx.account}:scalingPolicy:${uuidOf(ctx)}:resource/${serviceNamespace}/${resourceId}:policyName/${name}`,
          alarmArns: [],
        },
      };
    },
  },
};
