// Provider limits that the @pulumi/aws and @pulumi/docker types cannot express. The schema enforces
// them so a mistake fails before any cloud call.

/** Fargate task CPU units and, for each, the memory sizes (MiB) AWS accepts with it. */
export const FARGATE_CPU_MEMORY: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

export const FARGATE_CPU_VALUES: readonly number[] = Object.keys(FARGATE_CPU_MEMORY).map(Number);

/** CloudWatch Logs accepts only these retention periods (days). */
export const LOG_RETENTION_DAYS: readonly number[] = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
];

/** ALB and target group names: at most 32 characters (ELBv2 API). */
export const ELB_NAME_MAX = 32;

/**
 * App and stack names are short so every physical name we derive fits its AWS limit; the longest is
 * a target group `<app>-<stack>-green` (12 + 1 + 10 + 6 = 29 <= 32).
 */
export const APP_NAME_MAX = 12;
export const STACK_NAME_MAX = 10;

/** Largest stack file read, in bytes (1 MiB); the shipped ones are about 1 KiB. */
export const STACK_FILE_MAX_BYTES = 2 ** 20;

/** A VPC may be /16 to /28; we need room for a public and a private subnet per AZ of at least /28. */
export const VPC_PREFIX_MIN = 16;
export const SUBNET_PREFIX_MAX = 28;

/**
 * The configuration keys of the aws provider (`aws:<key>` in a stack file), as @pulumi/aws declares
 * them in `config/vars.d.ts` (a test keeps this list in step). The provider ignores a key it does not
 * know, so `aws:regoin` would silently deploy to the default region: the schema refuses it.
 */
export const AWS_PROVIDER_KEYS: readonly string[] = [
  'accessKey', 'allowedAccountIds', 'assumeRoleWithWebIdentity', 'assumeRoles', 'customCaBundle', 'defaultTags',
  'ec2MetadataServiceEndpoint', 'ec2MetadataServiceEndpointMode', 'endpoints', 'forbiddenAccountIds', 'httpProxy',
  'httpsProxy', 'ignoreTags', 'insecure', 'maxRetries', 'noProxy', 'profile', 'region', 'retryMode',
  's3UsEast1RegionalEndpoint', 's3UsePathStyle', 'secretKey', 'sharedConfigFiles', 'sharedCredentialsFiles',
  'skipCredentialsValidation', 'skipMetadataApiCheck', 'skipRegionValidation', 'skipRequestingAccountId', 'stsRegion',
  'tagPolicyCompliance', 'token', 'tokenBucketRateLimiterCapacity', 'useDualstackEndpoint', 'useFipsEndpoint', 'userAgents',
];

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}
