// The aws double's types for the app's secrets: a Secrets Manager secret per slot, its value, and the
// execution role's inline policy that may read them. Same rules as resources.ts.
//
// Shapes, and where they come from (terraform-provider-aws, which @pulumi/aws bridges):
// - Secret (aws_secretsmanager_secret): ID = ARN `arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6
//   random characters>`; name and name_prefix force a new secret; description, kms_key_id, policy and
//   recovery_window_in_days update in place.
// - Secret version (aws_secretsmanager_secret_version): ID `<secret ARN>|<version id>`, arn = the secret's,
//   version_stages ["AWSCURRENT"]; secret_id, secret_string and secret_binary force a new version.
// - Role policy (aws_iam_role_policy): ID `<role>:<policy name>`; role, name and name_prefix force a new one,
//   policy updates in place.
import { hexOf, type AwsContext, type AwsTypeSpec } from './shapes';

/** Secrets Manager's random suffix: six characters of `[A-Za-z0-9]`, stable per URN here. */
function suffixOf(ctx: AwsContext): string {
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const hex = hexOf(ctx, 12, 'suffix');
  return Array.from({ length: 6 }, (_, i) => letters[parseInt(hex.slice(i * 2, i * 2 + 2), 16) % letters.length]).join('');
}

export const SECRET_TYPES: Record<string, AwsTypeSpec> = {
  'aws:secretsmanager/secret:Secret': {
    replaceOn: ['name', 'namePrefix'],
    autoName: { property: 'name', maxLength: 512 },
    make: (ctx) => {
      const arn = `arn:aws:secretsmanager:${ctx.region}:${ctx.account}:secret:${ctx.inputs.name}-${suffixOf(ctx)}`;
      return { id: arn, outs: { arn } };
    },
  },
  'aws:secretsmanager/secretVersion:SecretVersion': {
    replaceOn: ['secretId', 'secretString', 'secretBinary'],
    required: ['secretId'],
    make: (ctx) => {
      const h = hexOf(ctx, 32, JSON.stringify(ctx.inputs.secretString ?? ''));
      const versionId = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
      return { id: `${ctx.inputs.secretId}|${versionId}`, outs: { arn: String(ctx.inputs.secretId), versionId, versionStages: ['AWSCURRENT'] } };
    },
  },
  'aws:iam/rolePolicy:RolePolicy': {
    replaceOn: ['role', 'name', 'namePrefix'],
    required: ['role', 'policy'],
    autoName: { property: 'name', maxLength: 128 },
    make: (ctx) => ({ id: `${ctx.inputs.role}:${ctx.inputs.name}`, outs: {} }),
  },
};
