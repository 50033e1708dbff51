// Production-grade AWS environments, planned through the real program under the SDK's mocks and read
// as policies: HTTPS on the stack's domain, scaling of the live slot, and hardening (deletion
// protection, access logs, KMS on log groups).
import * as pulumi from '@pulumi/pulumi';
import { beforeAll, describe, expect, it } from 'vitest';
import { accessLogBucketPolicy, LOG_DELIVERY_PRINCIPAL } from '../components/aws/access-logs';
import { listenerSpecs, TLS_POLICY } from '../components/aws/load-balancer';
import { PREDEFINED_METRIC, slotScaling } from '../components/aws/scaling';
import { environmentNames } from '../components/naming';
import { idleSlotOf } from '../components/slots';
import { computed, planStack, type Plan, type PlannedResource } from '../pipeline/review/plan';
import { SLOTS, type AwsConfig, type Slot } from '../stacks/schema';
import { DIGEST_A, DIGEST_B, ofType, plan, rawStack, ROOT } from './mocks';
import { awsProvider, forcesReplacement } from './providers/aws/provider';
import { AWS_TYPES } from './providers/aws/resources';

const T = {
  alb: 'aws:lb/loadBalancer:LoadBalancer',
  listener: 'aws:lb/listener:Listener',
  targetGroup: 'aws:lb/targetGroup:TargetGroup',
  ingress: 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule',
  certificate: 'aws:acm/certificate:Certificate',
  validation: 'aws:acm/certificateValidation:CertificateValidation',
  record: 'aws:route53/record:Record',
  bucket: 'aws:s3/bucket:Bucket',
  encryption: 'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
  publicAccess: 'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock',
  lifecycle: 'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration',
  bucketPolicy: 'aws:s3/bucketPolicy:BucketPolicy',
  ownership: 'aws:s3/bucketOwnershipControls:BucketOwnershipControls',
  scalingTarget: 'aws:appautoscaling/target:Target',
  scalingPolicy: 'aws:appautoscaling/policy:Policy',
  service: 'aws:ecs/service:Service',
  repository: 'aws:ecr/repository:Repository',
  logGroup: 'aws:cloudwatch/logGroup:LogGroup',
} as const;

const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012';
const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const NAMES = environmentNames({ app: 'shop', stack: 'prod' });

const released = (live: Slot) => (raw: Record<string, any>) => {
  raw['slipway:release'] = { live, blue: { image: `shop@${DIGEST_A}`, version: '1.0.0' }, green: { image: `shop@${DIGEST_B}`, version: '2.0.0' } };
};
const both = (...edits: ((raw: Record<string, any>) => void)[]) => (raw: Record<string, any>) => edits.forEach((e) => e(raw));

/** The one resource of `type` named `name` (logical), or whose `name` input is `name`. */
function one(p: Plan, type: string, name?: string): PlannedResource {
  const found = ofType(p, type).filter((r) => name === undefined || r.name === name || r.inputs.name === name);
  if (found.length !== 1) throw new Error(`expected one ${type}${name ? ` named ${name}` : ''}, found ${found.length}`);
  return found[0]!;
}
const listenerOn = (p: Plan, port: number) => ofType(p, T.listener).find((l) => l.inputs.port === port)?.inputs as Record<string, any> | undefined;
const tgArn = (slot: Slot) => computed(`shop-lb-${slot}`, 'arn');
const slotOf = (r: PlannedResource) => /^shop-(blue|green)-/.exec(r.name)?.[1] as Slot;

let prod: Plan; // as shipped: domain in a Route 53 zone, manual approval, CPU scaling, no releases
let blueLive: Plan;
let greenLive: Plan;
let requests: Plan; // scaling on requests per target, blue live
let ownCert: Plan; // the domain with a certificate of the stack's own
let noDomain: Plan; // prod without slipway:domain
let dev: Plan; // no domain, automatic approval, no scaling; both slots released
let kms: Plan;

beforeAll(async () => {
  prod = await plan('prod');
  blueLive = await plan('prod', released('blue'));
  greenLive = await plan('prod', released('green'));
  requests = await plan('prod', both(released('blue'), (r) => {
    delete r['slipway:capacity'].cpuPercent;
    r['slipway:capacity'].requestsPerTarget = 800;
  }));
  ownCert = await plan('prod', (r) => (r['slipway:domain'] = { name: 'shop.example.com', certificateArn: CERT }));
  noDomain = await plan('prod', (r) => delete r['slipway:domain']);
  dev = await plan('dev', released('blue'));
  kms = await plan('prod', both(released('blue'), (r) => (r['slipway:logs'].kmsKeyArn = KEY)));
}, 120_000);

describe('TLS and a domain', () => {
  const certArn = computed('shop-certificate-cert', 'arn');

  it('production is HTTPS on 443 with the domain\'s certificate and a TLS 1.3 policy', () => {
    expect(listenerOn(prod, 443)).toMatchObject({ protocol: 'HTTPS', sslPolicy: TLS_POLICY, certificateArn: certArn });
    expect(TLS_POLICY).toBe('ELBSecurityPolicy-TLS13-1-2-2021-06');
    // The listener takes the certificate from its validation: it waits until ACM has issued it.
    expect(one(prod, T.validation).inputs).toEqual({ certificateArn: certArn, validationRecordFqdns: [computed('shop-certificate-dns', 'fqdn')] });
    expect(one(prod, T.certificate).inputs).toMatchObject({ domainName: 'shop.example.com', validationMethod: 'DNS' });
    expect(one(prod, T.record, 'shop-certificate-dns').inputs).toMatchObject({
      zoneId: 'ZEXAMPLE0123456789',
      type: 'CNAME',
      name: computed('shop-certificate-cert', 'domainValidationOptions[0].resourceRecordName'),
      records: [computed('shop-certificate-cert', 'domainValidationOptions[0].resourceRecordValue')],
    });
  });

  it('port 80 only redirects to HTTPS (301), forwarding nothing', () => {
    const http = listenerOn(blueLive, 80)!;
    expect(http).toMatchObject({ protocol: 'HTTP', defaultActions: [{ type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } }] });
    expect(http.defaultActions).toHaveLength(1);
    expect(http.certificateArn).toBeUndefined();
    for (const slot of SLOTS) expect(JSON.stringify(http)).not.toContain(tgArn(slot));
  });

  it('port 80 turns into a redirect only once the HTTPS listener exists (a domain added to a running environment)', () => {
    const listener = (port: number) => ofType(prod, T.listener).find((l) => l.inputs.port === port)!;
    expect(listener(80).dependencies).toContain(listener(443).urn);
    expect(listener(443).dependencies ?? []).not.toContain(listener(80).urn);
  });

  it.each(SLOTS)('the test listener is HTTPS too, with the same certificate, on testListenerPort, to the idle slot (live %s)', (live) => {
    const p = live === 'blue' ? blueLive : greenLive;
    expect(listenerOn(p, 8443)).toMatchObject({
      protocol: 'HTTPS',
      sslPolicy: TLS_POLICY,
      certificateArn: certArn,
      defaultActions: [{ type: 'forward', targetGroupArn: tgArn(idleSlotOf(live)) }],
    });
  });

  it('no listener of a stack with a domain forwards plain HTTP', () => {
    for (const p of [prod, blueLive, ownCert]) {
      for (const l of ofType(p, T.listener).map((x) => x.inputs as Record<string, any>)) {
        if (l.protocol === 'HTTP') expect(l.defaultActions.map((a: { type: string }) => a.type)).toEqual(['redirect']);
        else expect([l.protocol, l.sslPolicy]).toEqual(['HTTPS', TLS_POLICY]);
      }
    }
  });

  it('points the name at the load balancer and publishes https URLs', () => {
    expect(one(prod, T.record, 'shop-lb-alias').inputs).toEqual({
      zoneId: 'ZEXAMPLE0123456789',
      name: 'shop.example.com',
      type: 'A',
      aliases: [{ name: computed('shop-lb-alb', 'dnsName'), zoneId: computed('shop-lb-alb', 'zoneId'), evaluateTargetHealth: true }],
    });
    expect(prod.outputs).toMatchObject({ publicUrl: 'https://shop.example.com', testUrl: 'https://shop.example.com:8443' });
  });

  it('a certificate of your own is used as is: nothing requested, no DNS record made', () => {
    expect([...ofType(ownCert, T.certificate), ...ofType(ownCert, T.validation), ...ofType(ownCert, T.record)]).toEqual([]);
    expect([listenerOn(ownCert, 443)?.certificateArn, listenerOn(ownCert, 8443)?.certificateArn]).toEqual([CERT, CERT]);
    expect(ownCert.outputs).toMatchObject({ publicUrl: 'https://shop.example.com', testUrl: 'https://shop.example.com:8443' });
  });

  it('without a domain: plain HTTP on 80 with the weighted forward, no certificate, URLs of the load balancer', () => {
    for (const p of [noDomain, dev]) {
      expect(ofType(p, T.listener).map((l) => [l.inputs.port, l.inputs.protocol, l.inputs.certificateArn]).sort()).toEqual([[80, 'HTTP', undefined], [8443, 'HTTP', undefined]]);
      expect(listenerOn(p, 80)!.defaultActions[0].type).toBe('forward');
      expect([...ofType(p, T.certificate), ...ofType(p, T.record)]).toEqual([]);
      expect(p.outputs.publicUrl).toBe(`http://${computed('shop-lb-alb', 'dnsName')}`);
    }
  });

  it.each([
    ['with a domain', () => prod, [80, 443]],
    ['without one', () => noDomain, [80]],
  ] as const)('opens only listener ports to the world (%s), the test port only to testListenerCidrs', (_, planned, world) => {
    const rules = ofType(planned(), T.ingress).map((r) => r.inputs as Record<string, any>);
    const open = rules.filter((r) => r.cidrIpv4 === '0.0.0.0/0' || r.cidrIpv6 === '::/0');
    expect([...new Set(open.map((r) => r.fromPort as number))].sort((a, b) => a - b)).toEqual(world);
    expect(open).toHaveLength(world.length * 2);
    expect(rules.filter((r) => r.fromPort === 8443).map((r) => r.cidrIpv4)).toEqual(['10.0.0.0/8']);
  });

  it('listener specs: one weighted forward, the test listener never on the live slot, HTTPS wherever there is a certificate', () => {
    for (const live of SLOTS) {
      for (const certificateArn of [undefined, 'C']) {
        const specs = listenerSpecs({ live, targetGroupArns: { blue: 'B', green: 'G' }, productionPort: 80, testPort: 8443, certificateArn });
        const forwards = specs.filter((s) => s.defaultActions.some((a) => 'forward' in a));
        expect(forwards).toHaveLength(1);
        expect(specs.find((s) => s.key === 'test')!.defaultActions).toEqual([{ type: 'forward', targetGroupArn: live === 'blue' ? 'G' : 'B' }]);
        if (certificateArn) expect(specs.filter((s) => s.protocol === 'HTTP').map((s) => s.defaultActions[0]!.type)).toEqual(['redirect']);
      }
    }
  });
});

describe('scaling per slot', () => {
  const targetOf = (p: Plan, slot: Slot) => one(p, T.scalingTarget, `shop-${slot}-scaling-target`).inputs as Record<string, any>;
  const policyOf = (p: Plan, slot: Slot) => one(p, T.scalingPolicy, `shop-${slot}-scaling-policy`).inputs as Record<string, any>;

  it.each(SLOTS)('the %s slot has a scalable target on its own ECS service and a CPU target-tracking policy', (slot) => {
    expect(targetOf(blueLive, slot)).toMatchObject({ serviceNamespace: 'ecs', scalableDimension: 'ecs:service:DesiredCount', resourceId: `service/shop-prod/shop-prod-${slot}` });
    expect(policyOf(blueLive, slot)).toMatchObject({
      name: NAMES.scalingPolicy(slot, 'cpu'),
      policyType: 'TargetTrackingScaling',
      resourceId: `service/shop-prod/shop-prod-${slot}`,
      targetTrackingScalingPolicyConfiguration: { targetValue: 60, predefinedMetricSpecification: { predefinedMetricType: PREDEFINED_METRIC.cpu } },
    });
  });

  it('the live slot scales between min and max from config; the idle slot is held at desiredCount; a switch swaps them', () => {
    const bounds = (p: Plan, slot: Slot) => [targetOf(p, slot).minCapacity, targetOf(p, slot).maxCapacity];
    expect([bounds(blueLive, 'blue'), bounds(blueLive, 'green')]).toEqual([[3, 12], [3, 3]]);
    expect([bounds(greenLive, 'blue'), bounds(greenLive, 'green')]).toEqual([[3, 3], [3, 12]]);
  });

  it('a switch moves only the bounds, in place (no input the provider replaces on)', () => {
    for (const slot of SLOTS) {
      const before = targetOf(blueLive, slot);
      const after = targetOf(greenLive, slot);
      const changed = Object.keys({ ...before, ...after }).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
      expect(changed.sort()).toEqual(['maxCapacity']);
      expect(changed.some((k) => forcesReplacement(AWS_TYPES[T.scalingTarget]!, k))).toBe(false);
      expect(policyOf(greenLive, slot)).toEqual(policyOf(blueLive, slot));
    }
  });

  it('the idle slot\'s minimum is never below desiredCount, the live slot stays within min..max', () => {
    for (let desiredCount = 1; desiredCount <= 6; desiredCount++) {
      for (let min = 1; min <= desiredCount; min++) {
        for (const max of [desiredCount, desiredCount + 1, 40]) {
          const capacity = { cpu: 256, memory: 512, desiredCount, min, max, cpuPercent: 50 } as AwsConfig['capacity'];
          expect(slotScaling(capacity, false)).toEqual({ min: desiredCount, max: desiredCount, metric: 'cpu', targetValue: 50 });
          expect(slotScaling(capacity, true)).toEqual({ min, max, metric: 'cpu', targetValue: 50 });
        }
      }
    }
    expect(slotScaling({ cpu: 256, memory: 512, desiredCount: 2, max: 5, requestsPerTarget: 9 }, true)).toMatchObject({ min: 2, metric: 'requests' });
    expect(slotScaling({ cpu: 256, memory: 512, desiredCount: 2 }, true)).toBeUndefined();
  });

  it.each(SLOTS)('the request-count policy\'s resourceLabel names the %s slot\'s own target group', (slot) => {
    const spec = policyOf(requests, slot).targetTrackingScalingPolicyConfiguration;
    expect(spec).toMatchObject({ targetValue: 800, predefinedMetricSpecification: { predefinedMetricType: 'ALBRequestCountPerTarget' } });
    expect(spec.predefinedMetricSpecification.resourceLabel).toBe(`${computed('shop-lb-alb', 'arnSuffix')}/${computed(`shop-lb-${slot}`, 'arnSuffix')}`);
    expect(policyOf(requests, slot).name).toBe(NAMES.scalingPolicy(slot, 'requests'));
  });

  it('a slot without a release has no scaling; a stack without a scaling target has none and keeps its desiredCount', () => {
    expect([...ofType(prod, T.scalingTarget), ...ofType(prod, T.scalingPolicy)]).toEqual([]);
    expect([...ofType(dev, T.scalingTarget), ...ofType(dev, T.scalingPolicy)]).toEqual([]);
    expect(ofType(dev, T.service).map((s) => s.inputs.desiredCount)).toEqual([1, 1]);
  });

  it('services leave their task count to autoscaling when it is on, and only then', async () => {
    const ignored = async (stack: string) => {
      const seen: Record<string, unknown> = {};
      const beforeProgram = () =>
        pulumi.runtime.registerStackTransformation((args) => {
          if (args.type === T.service) seen[args.name] = args.opts.ignoreChanges ?? [];
          return undefined;
        });
      const raw = rawStack(stack);
      released('blue')(raw);
      const r = await planStack(stack, { root: ROOT, config: raw, beforeProgram });
      if (!r.ok) throw new Error(r.errors.join('\n'));
      return seen;
    };
    expect(await ignored('prod')).toEqual({ 'shop-blue-service': ['desiredCount'], 'shop-green-service': ['desiredCount'] });
    expect(await ignored('dev')).toEqual({ 'shop-blue-service': [], 'shop-green-service': [] });
  });

  it('every service rolls a failing deployment back (ECS circuit breaker)', () => {
    for (const p of [blueLive, dev]) {
      expect(ofType(p, T.service)).toHaveLength(2);
      for (const s of ofType(p, T.service)) expect(s.inputs.deploymentCircuitBreaker, s.name).toEqual({ enable: true, rollback: true });
    }
  });
});

describe('hardening', () => {
  it('protects the load balancer from deletion on a manual-approval stack (prod), not on dev', () => {
    expect(one(prod, T.alb).inputs.enableDeletionProtection).toBe(true);
    expect(one(dev, T.alb).inputs.enableDeletionProtection).toBe(false);
  });

  it('the load balancer logs to its own bucket, and waits for the policy that lets it', () => {
    const alb = one(prod, T.alb);
    expect(alb.inputs.accessLogs).toEqual({ bucket: computed('shop-access-logs-bucket', 'id'), prefix: 'alb', enabled: true });
    expect(alb.dependencies).toEqual(expect.arrayContaining([one(prod, T.bucketPolicy).urn, one(prod, T.encryption).urn]));
  });

  it('the access-log bucket is encrypted (SSE-S3), closed to the public, ACL-free and emptied after the log retention', () => {
    const bucket = computed('shop-access-logs-bucket', 'id');
    expect(one(prod, T.bucket).inputs).toMatchObject({ bucketPrefix: 'shop-prod-alb-logs-', forceDestroy: false });
    expect(one(prod, T.encryption).inputs).toEqual({ bucket, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }] });
    expect(one(prod, T.publicAccess).inputs).toEqual({ bucket, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
    expect(one(prod, T.ownership).inputs).toEqual({ bucket, rule: { objectOwnership: 'BucketOwnerEnforced' } });
    expect(one(prod, T.lifecycle).inputs.rules).toEqual([
      { id: 'expire-access-logs', status: 'Enabled', filter: { prefix: 'alb/' }, expiration: { days: 365 }, abortIncompleteMultipartUpload: { daysAfterInitiation: 1 } },
    ]);
    expect(one(dev, T.lifecycle).inputs.rules).toMatchObject([{ expiration: { days: 7 } }]);
    expect(one(dev, T.bucket).inputs.forceDestroy).toBe(true);
  });

  it('only Elastic Load Balancing\'s log delivery may write, under the prefix and this account, over TLS', () => {
    const policy = JSON.parse(one(prod, T.bucketPolicy).inputs.policy as string);
    expect(policy).toEqual(accessLogBucketPolicy({ bucketArn: computed('shop-access-logs-bucket', 'arn'), accountId: computed('caller-identity', 'accountId'), prefix: 'alb' }));
    const allows = policy.Statement.filter((s: { Effect: string }) => s.Effect === 'Allow');
    expect(allows).toEqual([expect.objectContaining({ Principal: { Service: LOG_DELIVERY_PRINCIPAL }, Action: 's3:PutObject' })]);
    expect(LOG_DELIVERY_PRINCIPAL).toBe('logdelivery.elasticloadbalancing.amazonaws.com');
    expect(allows[0].Resource).toBe(`${computed('shop-access-logs-bucket', 'arn')}/alb/AWSLogs/${computed('caller-identity', 'accountId')}/*`);
    expect(policy.Statement.find((s: { Effect: string }) => s.Effect === 'Deny').Condition).toEqual({ Bool: { 'aws:SecureTransport': 'false' } });
  });

  it('every AWS stack\'s repository scans on push and keeps tags immutable', async () => {
    for (const p of [prod, dev, await plan('staging')]) {
      expect(one(p, T.repository).inputs).toMatchObject({ imageTagMutability: 'IMMUTABLE', imageScanningConfiguration: { scanOnPush: true } });
    }
  });

  it('log groups are encrypted with the stack\'s KMS key when it names one, and only then', () => {
    expect(ofType(kms, T.logGroup).map((g) => [slotOf(g), g.inputs.kmsKeyId])).toEqual([['blue', KEY], ['green', KEY]]);
    expect(ofType(prod, T.logGroup).map((g) => g.inputs.kmsKeyId)).toEqual([undefined, undefined]);
  });
});

describe('the aws double', () => {
  const aws = awsProvider();
  const create = (type: string, name: string, inputs: Record<string, unknown>) =>
    aws.create!(`urn:pulumi:prod::slipway::slipway:aws:Environment$${type}::${name}`, inputs);

  it('creates the new types with IDs and ARNs in AWS\'s shapes, stable per URN', async () => {
    const cert = await create(T.certificate, 'cert', { domainName: 'shop.example.com', validationMethod: 'DNS' });
    expect(cert.id).toMatch(/^arn:aws:acm:us-east-1:123456789012:certificate\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const [option] = cert.outs.domainValidationOptions as Record<string, string>[];
    expect(option).toMatchObject({ domainName: 'shop.example.com', resourceRecordType: 'CNAME' });
    expect(option!.resourceRecordName).toMatch(/^_[0-9a-f]{32}\.shop\.example\.com\.$/);
    expect(option!.resourceRecordValue).toMatch(/^_[0-9a-f]{32}\.[0-9a-f]{10}\.acm-validations\.aws\.$/);
    const record = await create(T.record, 'dns', { zoneId: 'Z1', name: option!.resourceRecordName, type: 'CNAME', records: [option!.resourceRecordValue] });
    expect([record.id, record.outs.fqdn]).toEqual([`Z1_${option!.resourceRecordName!.slice(0, -1)}_CNAME`, option!.resourceRecordName!.slice(0, -1)]);
    expect((await create(T.validation, 'validation', { certificateArn: cert.id })).outs.certificateArn).toBe(cert.id);

    const bucket = await create(T.bucket, 'logs', { bucketPrefix: 'shop-prod-alb-logs-' });
    expect(bucket.id).toMatch(/^shop-prod-alb-logs-\d{26}$/);
    expect(bucket.outs).toMatchObject({ bucket: bucket.id, arn: `arn:aws:s3:::${bucket.id}` });
    expect((await create(T.bucket, 'logs', { bucketPrefix: 'shop-prod-alb-logs-' })).id).toBe(bucket.id);
    for (const type of [T.encryption, T.publicAccess, T.lifecycle, T.bucketPolicy, T.ownership]) {
      expect((await create(type, 'setting', { bucket: bucket.id, rules: [], rule: {}, policy: '{}' })).id).toBe(bucket.id);
    }

    const target = await create(T.scalingTarget, 'target', { resourceId: 'service/shop-prod/shop-prod-blue', scalableDimension: 'ecs:service:DesiredCount', serviceNamespace: 'ecs', minCapacity: 3, maxCapacity: 12 });
    expect(target.id).toBe('service/shop-prod/shop-prod-blue');
    expect(target.outs.arn).toMatch(/^arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target\/[0-9a-z]{36}$/);
    const policy = await create(T.scalingPolicy, 'policy', { name: 'shop-prod-blue-cpu', resourceId: target.id, scalableDimension: 'ecs:service:DesiredCount', serviceNamespace: 'ecs' });
    expect(policy.id).toBe('shop-prod-blue-cpu');
    expect(policy.outs.arn).toMatch(/^arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:[0-9a-f-]{36}:resource\/ecs\/service\/shop-prod\/shop-prod-blue:policyName\/shop-prod-blue-cpu$/);
  });
});
