// ARNs a stack file may name: an ACM certificate (slipway:domain.certificateArn) and a KMS key
// (slipway:logs.kmsKeyArn). Checked by form here; that the resource exists is AWS's to say.
import { str } from './fields';
import { show } from './show';

const PARTITION = 'aws[a-z-]*'; // aws, aws-cn, aws-us-gov, …
const REGION = '[a-z]{2}(?:-[a-z]+)+-\\d{1,2}';
const ACCOUNT = '\\d{12}';
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

/** `arn:aws:acm:<region>:<12 digits>:certificate/<uuid>` */
export const ACM_CERTIFICATE_ARN_RE = new RegExp(`^arn:${PARTITION}:acm:(${REGION}):${ACCOUNT}:certificate/${UUID}$`);

/** `arn:aws:kms:<region>:<12 digits>:key/<uuid or mrk-…>`: a key, not an alias (CloudWatch Logs needs the key). */
export const KMS_KEY_ARN_RE = new RegExp(`^arn:${PARTITION}:kms:(${REGION}):${ACCOUNT}:key/(?:${UUID}|mrk-[0-9a-f]{32})$`);

export const acmCertificateArn = str('an ACM certificate ARN').regex(ACM_CERTIFICATE_ARN_RE, {
  error: (i) => `${show(i.input)} is not an ACM certificate ARN (arn:aws:acm:<region>:<12-digit account>:certificate/<uuid>)`,
});

export const kmsKeyArn = str('a KMS key ARN').regex(KMS_KEY_ARN_RE, {
  error: (i) => `${show(i.input)} is not a KMS key ARN (arn:aws:kms:<region>:<12-digit account>:key/<key id>; an alias will not do)`,
});

/** The region an ACM or KMS ARN names (its fourth field), or undefined for anything else. */
export function regionOfArn(arn: string): string | undefined {
  return (ACM_CERTIFICATE_ARN_RE.exec(arn) ?? KMS_KEY_ARN_RE.exec(arn))?.[1];
}

/**
 * Why an ARN of a regional resource cannot serve a stack deploying to `region`, or undefined when it
 * can (or the stack names no region: then the provider's default decides, and AWS will say).
 */
export function arnRegionProblem(arn: string, region: string | undefined, what: string): string | undefined {
  const own = regionOfArn(arn);
  if (region === undefined || own === undefined || own === region) return undefined;
  return `the ${what} is in ${own} but the stack deploys to ${region} (aws:region); it must be in the same region`;
}
