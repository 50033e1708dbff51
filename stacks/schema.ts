// The one configuration schema every stack obeys. Each stack file's `slipway:*` keys are checked here,
// before the program registers any resource. Descriptions feed the README's configuration reference.
import { z } from 'zod';
import { bitsFor, parseCidr } from '../components/cidr';
import {
  APP_NAME_MAX,
  FARGATE_CPU_MEMORY,
  FARGATE_CPU_VALUES,
  LOG_RETENTION_DAYS,
  SUBNET_PREFIX_MAX,
  VPC_PREFIX_MIN,
} from './limits';
import { appEnvSchema, appSecretsSchema, CONFIG_ID_RE, envSecretClash } from './appEnv';
import { kmsKeyArn } from './arns';
import { domain, domainPortProblem } from './domain';
import { int, notEmpty, oneOf, str, wrongType } from './fields';
import { scalingFields, scalingProblems } from './scaling';
import { show } from './show';

export { show, wrongType };

export const SLOTS = ['blue', 'green'] as const;
export type Slot = (typeof SLOTS)[number];

/** Tag/label keys Slipway sets itself; users may not override them. */
export const RESERVED_TAG_KEYS = ['environment', 'app', 'managed-by', 'slot'] as const;

const DNS_LABEL = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;

/** `[registry/]repository[:tag]@sha256:<64 hex>` — an image pinned by digest. */
export const IMAGE_REF_RE =
  /^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?\/)?[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?@sha256:[a-f0-9]{64}$/;

/** A release's version label, as the app reports it: `1.4.2`, `2025.01.07+abc`. */
export const VERSION_LABEL_RE = /^[\w][\w.+-]{0,63}$/;
const VERSION_LABEL_RULE = 'letters, digits, . _ + -, starting with a letter or digit; at most 64';

/** Why `v` cannot be a version label, or undefined when it can. */
export function versionLabelProblem(v: string): string | undefined {
  return VERSION_LABEL_RE.test(v) ? undefined : `${show(v)} is not a version label (${VERSION_LABEL_RULE})`;
}

const path = str('a path').regex(/^\/[\x21-\x7e]*$/, { error: (i) => `${show(i.input)} is not a path starting with /` });

const cidr = str('a CIDR block').check(
  z.superRefine((v, ctx) => {
    const c = parseCidr(v);
    if (typeof c === 'string') ctx.addIssue({ code: 'custom', message: c, input: v });
  }),
);

const smokeCheck = z
  .strictObject({
    name: str('a name').min(1, notEmpty).optional().describe('Label shown in reports; defaults to the path.'),
    path: path.describe('Request path, e.g. `/healthz`.'),
    status: int(100, 599).default(200).describe('Expected HTTP status.'),
    bodyIncludes: str('a substring').min(1, notEmpty).optional().describe('Substring the response body must contain.'),
    latencyMs: int(1, 60000).default(1000).describe('Latency budget for one request, in ms.'),
  })
  .describe('One smoke check');

const app = z
  .strictObject({
    name: str('an app name')
      .regex(DNS_LABEL, { error: (i) => `${show(i.input)} must be lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen` })
      .refine((v) => !v.includes('--'), { error: (i) => `${show(i.input)} contains "--" (ECR repository names refuse it)` })
      .refine((v) => !v.startsWith('internal-'), { error: (i) => `${show(i.input)} starts with "internal-" (ALB names refuse it)` })
      .min(2, { error: () => 'must be at least 2 characters' })
      .max(APP_NAME_MAX, { error: (i) => `${show(i.input)} is longer than ${APP_NAME_MAX} characters (ALB and target group names are limited to 32)` })
      .describe(`Application name, 2-${APP_NAME_MAX} characters \`[a-z0-9-]\`; part of every physical name.`),
    port: int(1, 65535).describe('Port the container listens on.'),
    healthPath: path.default('/healthz').describe('Health-check path used by the load balancer and Docker.'),
    versionPath: path.default('/version').describe('Path that reports the running version (used by smoke checks).'),
    smoke: z
      .array(smokeCheck, { error: (i) => wrongType(i.input, 'a list of smoke checks') })
      .min(1, { error: () => 'needs at least one smoke check' })
      .check(z.superRefine(uniqueCheckNames))
      .describe('Checks run against a slot before and after it takes traffic.'),
    env: appEnvSchema,
    secrets: appSecretsSchema,
  })
  .check(z.superRefine(envSecretClash))
  .describe('The application');

const slotRelease = z
  .strictObject({
    image: str('an image reference')
      .regex(IMAGE_REF_RE, { error: (i) => `${show(i.input)} is not an image reference pinned by digest (repository@sha256:<64 hex>)` })
      .optional()
      .describe('Image pinned by digest: `repository[:tag]@sha256:<64 hex>`.'),
    version: str('a version label')
      .regex(VERSION_LABEL_RE, { error: (i) => `${show(i.input)} is not a version label (${VERSION_LABEL_RULE})` })
      .optional()
      .describe('Version label reported by the app, e.g. `1.4.2`.'),
    config: str('a configuration id')
      .regex(CONFIG_ID_RE, { error: (i) => `${show(i.input)} is not a configuration id (16 hex digits)` })
      .optional()
      .describe('Id of the app configuration (`env` and secret values) the slot was deployed with; absent: none. Written by the pipeline.'),
  })
  .check(
    z.superRefine((r, ctx) => {
      if ((r.image === undefined) !== (r.version === undefined)) {
        const missing = r.image === undefined ? 'image' : 'version';
        ctx.addIssue({ code: 'custom', path: [missing], message: 'missing; a slot release needs both image and version, or neither', input: r });
      } else if (r.image === undefined && r.config !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['config'], message: 'set on a slot without a release; only a slot that runs something has a configuration', input: r.config });
      }
    }),
  )
  .default({})
  .describe('What a slot runs: `{}` for nothing, or `{image, version}`.');

const release = z
  .strictObject({
    live: oneOf(SLOTS, 'a slot').describe('The slot receiving production traffic: `blue` or `green`.'),
    blue: slotRelease,
    green: slotRelease,
  })
  .describe('Release state, written by the pipeline');

const promotion = z
  .strictObject({
    approval: oneOf(['auto', 'manual'] as const, 'an approval policy').describe(
      '`auto`: switch when checks pass (continuous deployment); `manual`: wait for an approver (continuous delivery).',
    ),
    approvers: z.array(str('a name').min(1, notEmpty), { error: (i) => wrongType(i.input, 'a list of names') }).default([]).describe('People allowed to approve; required when `manual`.'),
    bakeSeconds: int(0, 3600)
      .default(60)
      .describe('How long the new live slot is watched (smoke checks, alarms) after a switch; a failure in that time rolls back.'),
    drill: z
      .boolean({ error: (i) => wrongType(i.input, 'true or false') })
      .default(true)
      .describe('Whether `slipway drill` may rebuild this stack\'s idle slot from nothing and smoke-test it (it never touches the live slot); `false` refuses drills.'),
  })
  .check(
    z.superRefine((p, ctx) => {
      if (p.approval === 'manual' && p.approvers.length === 0) {
        ctx.addIssue({ code: 'custom', path: ['approvers'], message: 'needs at least one approver when approval is "manual"', input: p.approvers });
      }
    }),
  )
  .describe('Approval policy');

const tagKey = /^[\w .:/=+@-]{1,128}$/;
const tags = z
  .record(z.string(), str('a tag value').max(256, { error: (i) => `${show(i.input)} is longer than 256 characters` }), {
    error: (i) => wrongType(i.input, 'a mapping of tag names to values'),
  })
  .default({})
  .check(
    z.superRefine((t, ctx) => {
      for (const k of Object.keys(t)) {
        if (!tagKey.test(k) || k.startsWith('aws:')) {
          ctx.addIssue({ code: 'custom', path: [k], message: 'is not a valid tag key (1-128 of letters, digits, spaces, _ . : / = + - @; not starting with aws:)', input: k });
        } else if ((RESERVED_TAG_KEYS as readonly string[]).includes(k)) {
          ctx.addIssue({ code: 'custom', path: [k], message: `is set by Slipway itself (${RESERVED_TAG_KEYS.join(', ')})`, input: k });
        }
      }
    }),
  )
  .describe('Extra tags (AWS) or labels (Docker) on every resource');

const awsCapacity = z
  .strictObject({
    cpu: oneOf(FARGATE_CPU_VALUES, 'a Fargate CPU value').describe('Fargate CPU units per task.'),
    memory: int(512, 122880).describe('Fargate memory (MiB) per task; must be valid for `cpu`.'),
    desiredCount: int(1, 100).describe('Tasks per slot when the slot has a release.'),
    ...scalingFields,
  })
  .check(
    z.superRefine((c, ctx) => {
      scalingProblems(c, ctx);
      const allowed = FARGATE_CPU_MEMORY[c.cpu];
      if (allowed && !allowed.includes(c.memory)) {
        ctx.addIssue({
          code: 'custom',
          path: ['memory'],
          message: `${c.memory} is not a valid Fargate memory for cpu ${c.cpu} (${describeMemory(allowed)})`,
          input: c.memory,
        });
      }
    }),
  )
  .describe('Per-slot capacity (both slots are sized alike)');

const network = z
  .strictObject({
    vpcCidr: cidr.describe(`VPC block, /${VPC_PREFIX_MIN} or smaller, large enough for 2 x azCount subnets of /${SUBNET_PREFIX_MAX} or more.`),
    azCount: int(2, 6).describe('Availability zones (the ALB needs at least 2).'),
    natGateways: int(1, 6).describe('NAT gateways for the private subnets (1 to azCount; one per AZ survives an AZ loss).'),
    testListenerCidrs: z
      .array(cidr, { error: (i) => wrongType(i.input, 'a list of CIDR blocks') })
      .min(1, { error: () => 'needs at least one CIDR block (who may reach the idle slot)' })
      .describe('Who may reach the test listener (the idle slot).'),
    testListenerPort: int(1, 65535).default(8443).describe('ALB port of the test listener.'),
  })
  .check(
    z.superRefine((n, ctx) => {
      const vpc = parseCidr(n.vpcCidr);
      if (typeof vpc !== 'string') {
        if (vpc.prefix < VPC_PREFIX_MIN) {
          ctx.addIssue({ code: 'custom', path: ['vpcCidr'], message: `/${vpc.prefix} is larger than AWS allows for a VPC (/${VPC_PREFIX_MIN} to /${SUBNET_PREFIX_MAX})`, input: n.vpcCidr });
        } else if (vpc.prefix + bitsFor(n.azCount * 2) > SUBNET_PREFIX_MAX) {
          ctx.addIssue({ code: 'custom', path: ['vpcCidr'], message: `${n.vpcCidr} is too small for ${n.azCount * 2} subnets of /${SUBNET_PREFIX_MAX} or more (use /${SUBNET_PREFIX_MAX - bitsFor(n.azCount * 2)} or larger)`, input: n.vpcCidr });
        }
      }
      if (n.natGateways > n.azCount) {
        ctx.addIssue({ code: 'custom', path: ['natGateways'], message: `${n.natGateways} is more than azCount (${n.azCount})`, input: n.natGateways });
      }
      if (n.testListenerPort === 80) {
        ctx.addIssue({ code: 'custom', path: ['testListenerPort'], message: '80 is the production listener port', input: 80 });
      }
    }),
  )
  .describe('Network (AWS)');

const alarms = z
  .strictObject({
    http5xxThreshold: int(1, 100000).describe('Target 5xx responses per period that raise the alarm.'),
    unhealthyHostsThreshold: int(1, 1000).describe('Unhealthy targets that raise the alarm.'),
    periodSeconds: oneOf([60, 120, 300] as const, 'an alarm period').default(60).describe('Alarm evaluation period, seconds.'),
    evaluationPeriods: int(1, 10).default(2).describe('Periods in breach before the alarm fires.'),
  })
  .describe('CloudWatch alarms per slot: the rollback signals (AWS)');

const logs = z
  .strictObject({
    retentionDays: oneOf(LOG_RETENTION_DAYS, 'a CloudWatch Logs retention').default(30).describe('Log retention in days (container logs and the load balancer\'s access logs).'),
    kmsKeyArn: kmsKeyArn
      .optional()
      .describe('KMS key that encrypts the slots\' log groups; its key policy must let CloudWatch Logs in the stack\'s region use it. Default: CloudWatch Logs\' own encryption.'),
  })
  .default({ retentionDays: 30 })
  .describe('Logs (AWS): the slots\' container logs and the load balancer\'s access logs');

const dockerCapacity = z
  .strictObject({
    memoryMb: int(16, 65536).describe('Memory limit per slot container, MiB.'),
  })
  .describe('Per-slot capacity (both slots are sized alike)');

const ports = z
  .strictObject({
    public: int(1024, 65535).describe('Host port published for production traffic (live slot).'),
    test: int(1024, 65535).describe('Host port for the idle slot (pre-switch smoke tests).'),
  })
  .check(
    z.superRefine((p, ctx) => {
      if (p.public === p.test) ctx.addIssue({ code: 'custom', path: ['test'], message: `${p.test} is the same as ports.public`, input: p.test });
    }),
  )
  .describe('Host ports (Docker)');

/** The official HAProxy image (Debian-based, current LTS) the local router runs by default. */
export const ROUTER_IMAGE = 'haproxy:3.2';

const router = z
  .strictObject({
    image: str('an image reference')
      .min(1, notEmpty)
      // Slipway's router is HAProxy (switches without a reload); an nginx image from an older stack file would not start.
      .refine((v) => !/(^|\/)nginx(:|@|$)/.test(v), { error: (i) => `${show(i.input)} is an nginx image; the router is HAProxy: use haproxy:3.2 (or a mirror of it)` })
      .default(ROUTER_IMAGE)
      .describe('HAProxy image for the router: an official Debian-based one, which has the bash the switch uses (mirror it for air-gapped machines).'),
  })
  .default({ image: ROUTER_IMAGE })
  .describe('The HAProxy router (Docker)');

const common = {
  app,
  release,
  promotion,
  tags,
};

export const awsConfigSchema = z.strictObject({
  target: z.literal('aws'),
  ...common,
  capacity: awsCapacity,
  network,
  alarms,
  logs,
  domain,
}).check(
  z.superRefine((c, ctx) => {
    const port = domainPortProblem(c);
    if (port) ctx.addIssue({ code: 'custom', path: ['network', 'testListenerPort'], message: port, input: c.network.testListenerPort });
  }),
);

export const dockerConfigSchema = z.strictObject({
  target: z.literal('docker'),
  ...common,
  capacity: dockerCapacity,
  ports,
  router,
});

export const TARGETS = ['aws', 'docker'] as const;
export type Target = (typeof TARGETS)[number];
export const targetSchema = oneOf(TARGETS, 'a target');

export type AwsConfig = z.output<typeof awsConfigSchema>;
export type DockerConfig = z.output<typeof dockerConfigSchema>;
export type SlipwayConfig = AwsConfig | DockerConfig;
export type SlotRelease = AwsConfig['release']['blue'];
export type SmokeCheck = AwsConfig['app']['smoke'][number];

export function schemaFor(target: Target) {
  return target === 'aws' ? awsConfigSchema : dockerConfigSchema;
}

/** Reports name smoke checks, and `--json` keys them by name: two checks of one name are refused. */
function uniqueCheckNames(checks: readonly { name?: string | undefined; path: string }[], ctx: z.core.$RefinementCtx<unknown>): void {
  const first = new Map<string, number>();
  checks.forEach((c, i) => {
    const name = c.name ?? c.path;
    const earlier = first.get(name);
    if (earlier === undefined) first.set(name, i);
    else {
      ctx.addIssue({
        code: 'custom',
        path: [i],
        message: `named ${show(name)} like slipway:app.smoke[${earlier}]; smoke check names must be unique (a check without a name is named by its path)`,
        input: c,
      });
    }
  });
}

function describeMemory(values: readonly number[]): string {
  if (values.length <= 4) return values.join(', ');
  const step = (values[1] ?? 0) - (values[0] ?? 0);
  return `${values[0]} to ${values[values.length - 1]} in steps of ${step}`;
}
