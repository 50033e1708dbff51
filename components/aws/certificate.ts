// A TLS certificate for the environment's domain: ACM issues it once a DNS record in the domain's
// Route 53 zone proves control of the name. Its ARN is the validated one, so a listener that uses it
// waits until ACM has issued the certificate.
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export interface CertificateArgs {
  /** The DNS name, e.g. `shop.example.com` (at most 64 characters: ACM's limit for the first name). */
  domainName: string;
  /** Route 53 hosted zone that holds `domainName`: the validation record goes there. */
  zoneId: string;
  /** Tags on the certificate. */
  tags: Record<string, string>;
}

/** The CNAME ACM asks for, from the certificate's validation options (one name: one option). */
export interface ValidationRecord {
  name: string;
  type: string;
  value: string;
}

/** Seconds resolvers may keep the validation record: ACM re-reads it at every renewal. */
export const VALIDATION_RECORD_TTL = 300;

/** The validation record for `domainName` among a certificate's validation options. */
export function validationRecordFor(
  domainName: string,
  options: readonly { domainName?: string; resourceRecordName?: string; resourceRecordType?: string; resourceRecordValue?: string }[],
): ValidationRecord {
  const o = options.find((x) => x.domainName === domainName) ?? options[0];
  if (!o?.resourceRecordName || !o.resourceRecordType || !o.resourceRecordValue) {
    throw new Error(`internal: ACM returned no DNS validation record for ${domainName}`);
  }
  return { name: o.resourceRecordName, type: o.resourceRecordType, value: o.resourceRecordValue };
}

export class Certificate extends pulumi.ComponentResource {
  /** The certificate's ARN, known once ACM has issued it. */
  readonly arn: pulumi.Output<string>;

  constructor(name: string, args: CertificateArgs, opts?: pulumi.ComponentResourceOptions) {
    super('slipway:aws:Certificate', name, {}, opts);

    const certificate = new aws.acm.Certificate(
      `${name}-cert`,
      { domainName: args.domainName, validationMethod: 'DNS', tags: args.tags },
      // A new certificate (another name) is issued before the old one is given up: listeners never go without.
      { parent: this, deleteBeforeReplace: false },
    );
    const record = certificate.domainValidationOptions.apply((options) => validationRecordFor(args.domainName, options ?? []));
    const dns = new aws.route53.Record(
      `${name}-dns`,
      {
        zoneId: args.zoneId,
        name: record.name,
        type: record.type,
        records: [record.value],
        ttl: VALIDATION_RECORD_TTL,
        // The record is the same for every certificate of this name in this account: a certificate
        // requested again (a rebuild after a lost state) finds it there already.
        allowOverwrite: true,
      },
      { parent: this },
    );
    const validation = new aws.acm.CertificateValidation(
      `${name}-validation`,
      { certificateArn: certificate.arn, validationRecordFqdns: [dns.fqdn] },
      { parent: this },
    );

    this.arn = validation.certificateArn;
    this.registerOutputs({ arn: this.arn });
  }
}
