// Offline plan: runs the real program — the module Pulumi.yaml's `main` names, under the project name
// it declares — through the Pulumi SDK's mock runtime (no engine, no cloud, no credentials) and
// records every resource it registers, with its parent and inputs, and the module's outputs. Values
// only the cloud can know are returned as marked placeholders, so they show up as such, never
// invented. Secrets stay marked (inputs and outputs as secret envelopes) for the renderers to mask.
import * as pulumi from '@pulumi/pulumi';
import { relative } from 'node:path';
import { readStackConfig, stackFile } from '../../stacks/load';
import { validateStackConfig } from '../../stacks/validate';
import { programFile, projectOf, runProgramModule } from '../engine/program';
import { isObject, isSecureConfig, SECRET_TEXT, secretValue } from './values';

export interface PlannedResource {
  urn: string;
  type: string;
  name: string;
  /** URN of the parent resource; absent only for the stack itself. */
  parent?: string;
  inputs: Record<string, unknown>;
  /** URNs this resource waits for: those its inputs reference and its `dependsOn`. */
  dependencies?: string[];
  /** Inputs the engine keeps as they are in the state (`ignoreChanges`): what is planned for them is not applied. */
  ignoreChanges?: string[];
}

export interface Plan {
  stack: string;
  resources: PlannedResource[];
  outputs: Record<string, unknown>;
}

export type PlanResult = { ok: true; plan: Plan } | { ok: false; errors: string[] };

/** A value the cloud assigns on creation: `<computed:shop-alb.dnsName>`. */
export function computed(resourceName: string, property: string): string {
  return `<computed:${resourceName}.${property}>`;
}

export function isComputed(value: unknown): boolean {
  return typeof value === 'string' && /<computed:[^>]+>/.test(value);
}

// Properties other resources read from these; the mock returns placeholders for them when the
// program did not set them itself.
const COMPUTED_PROPERTIES = ['arn', 'arnSuffix', 'dnsName', 'zoneId', 'repositoryUrl', 'registryId', 'name', 'fqdn'];

/**
 * Computed properties that are structures, by type: placeholders in AWS's shape, for programs that
 * read into them (an ACM certificate's DNS validation record: always a CNAME).
 */
const COMPUTED_STRUCTURES: Record<string, (name: string, inputs: Record<string, unknown>) => Record<string, unknown>> = {
  'aws:acm/certificate:Certificate': (name, inputs) => ({
    domainValidationOptions: [
      {
        domainName: inputs.domainName,
        resourceRecordName: computed(name, 'domainValidationOptions[0].resourceRecordName'),
        resourceRecordType: 'CNAME',
        resourceRecordValue: computed(name, 'domainValidationOptions[0].resourceRecordValue'),
      },
    ],
  }),
};

export interface PlanOptions {
  /** Project root holding stacks/ (default: cwd). */
  root?: string;
  /** Raw stack config (`slipway:app` → value) to use instead of the stack file. */
  config?: Record<string, unknown>;
  /** Runs inside the program's stack just before the program (e.g. to register a test transform). */
  beforeProgram?: () => void;
}

/** Plans one stack. Validation errors come back as lines; nothing is registered for them. */
export async function planStack(stack: string, opts: PlanOptions = {}): Promise<PlanResult> {
  const root = opts.root ?? process.cwd();
  let raw = opts.config;
  if (!raw) {
    const read = readStackConfig(stack, root);
    if (typeof read === 'string') return { ok: false, errors: [read] };
    raw = read;
  }
  const validation = validateStackConfig(raw, { stack, file: relative(root, stackFile(stack, root)) });
  if (!validation.ok) return { ok: false, errors: validation.errors };
  return { ok: true, plan: await runUnderMocks(stack, raw, { root, ...(opts.beforeProgram ? { beforeProgram: opts.beforeProgram } : {}) }) };
}

/** Runs the project's program under mocks with `raw` as the stack configuration. */
export async function runUnderMocks(stack: string, raw: Record<string, unknown>, opts: { root?: string; beforeProgram?: () => void } = {}): Promise<Plan> {
  const root = opts.root ?? process.cwd();
  const project = projectOf(root);
  const main = programFile(root);
  const inputs = new Map<string, { type: string; name: string; inputs: Record<string, unknown> }>();
  const region = typeof raw['aws:region'] === 'string' ? raw['aws:region'] : undefined;

  const mocks: pulumi.runtime.Mocks = {
    newResource(args) {
      inputs.set(`${args.type}::${args.name}`, { type: args.type, name: args.name, inputs: args.inputs });
      const state: Record<string, unknown> = { ...args.inputs };
      for (const prop of COMPUTED_PROPERTIES) {
        if (state[prop] === undefined) state[prop] = computed(args.name, prop);
      }
      for (const [prop, value] of Object.entries(COMPUTED_STRUCTURES[args.type]?.(args.name, args.inputs) ?? {})) {
        if (state[prop] === undefined) state[prop] = value;
      }
      // The mock passes "" as the id of a new resource.
      return { id: args.id || computed(args.name, 'id'), state };
    },
    call(args) {
      switch (args.token) {
        case 'aws:index/getAvailabilityZones:getAvailabilityZones':
          return {
            names: [1, 2, 3, 4, 5, 6].map((i) => computed('availability-zones', `names[${i - 1}]`)),
            zoneIds: [1, 2, 3, 4, 5, 6].map((i) => computed('availability-zones', `zoneIds[${i - 1}]`)),
            state: 'available',
          };
        case 'aws:index/getRegion:getRegion':
          return { name: region ?? computed('provider', 'region'), region: region ?? computed('provider', 'region'), id: region ?? computed('provider', 'region') };
        case 'aws:index/getCallerIdentity:getCallerIdentity':
          return { accountId: computed('caller-identity', 'accountId'), arn: computed('caller-identity', 'arn'), userId: computed('caller-identity', 'userId') };
        case 'aws:index/getPartition:getPartition':
          return { partition: 'aws', dnsSuffix: 'amazonaws.com' };
        default:
          return args.inputs;
      }
    },
  };

  await pulumi.runtime.setMocks(mocks, project.name, stack, false);
  const { config, secretKeys } = engineConfig(raw);
  pulumi.runtime.setAllConfig(config, secretKeys);

  // Record each registration's parent: the mock API does not expose it.
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: RegisterRequest, cb: (err: unknown, resp?: { getUrn(): string }) => void): Promise<void>;
  };
  const register = monitor.registerResource.bind(monitor);
  const urns: { urn: string; key: string; parent: string; dependsOn: string[]; ignoreChanges: string[] }[] = [];
  monitor.registerResource = (req, cb) =>
    register(req, (err, resp) => {
      if (resp) {
        urns.push({ urn: resp.getUrn(), key: `${req.getType()}::${req.getName()}`, parent: req.getParent(), dependsOn: req.getDependenciesList(), ignoreChanges: req.getIgnorechangesList() });
      }
      cb(err, resp);
    });

  // A program error is caught inside the stack callback and rethrown after disconnecting: thrown
  // through runInPulumiStack, the SDK leaves copies of it behind as unhandled rejections.
  let failure: unknown;
  // Kept as the program returned them: runInPulumiStack hands back plain values, secret flags lost.
  let programOutputs: Record<string, unknown> = {};
  await pulumi.runtime.runInPulumiStack(async () => {
    try {
      opts.beforeProgram?.();
      programOutputs = await runProgramModule(main);
      return programOutputs;
    } catch (e) {
      failure = e;
      return {};
    }
  });
  const outputs = failure ? {} : await resolveOutputs(programOutputs);
  await pulumi.runtime.disconnect();
  if (failure) throw failure;

  const resources: PlannedResource[] = urns.map(({ urn, key, parent, dependsOn, ignoreChanges }) => {
    const rec = inputs.get(key);
    const [type, name] = key.split('::') as [string, string];
    return {
      urn,
      type,
      name,
      ...(parent ? { parent } : {}),
      inputs: rec?.inputs ?? {},
      ...(dependsOn.length ? { dependencies: dependsOn } : {}),
      ...(ignoreChanges.length ? { ignoreChanges } : {}),
    };
  });
  return { stack, resources, outputs };
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getDependenciesList(): string[];
  getIgnorechangesList(): string[];
}

/**
 * The engine hands the program every value as a string, structured values as JSON. A `secure:` value
 * cannot be decrypted offline: the program gets `[secret]` in its place, marked secret like the engine
 * marks it, so whatever it flows into is masked too.
 */
export function engineConfig(raw: Record<string, unknown>): { config: Record<string, string>; secretKeys: string[] } {
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [k, v] of Object.entries(raw)) {
    const found = { secure: false };
    const plain = withoutSecure(v, found);
    if (found.secure) secretKeys.push(k);
    config[k] = typeof plain === 'string' ? plain : JSON.stringify(plain);
  }
  return { config, secretKeys };
}

function withoutSecure(v: unknown, found: { secure: boolean }): unknown {
  if (isSecureConfig(v)) {
    found.secure = true;
    return SECRET_TEXT;
  }
  if (Array.isArray(v)) return v.map((x) => withoutSecure(x, found));
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withoutSecure(x, found)]));
  return v;
}

/** Outputs resolved to plain values; a secret output stays marked as one. */
async function resolveOutputs(outputs: Record<string, unknown>): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [k, raw] of Object.entries(outputs)) {
    const v = await raw;
    if (!pulumi.Output.isInstance(v)) {
      out[k] = v;
      continue;
    }
    const value = await new Promise((resolve) => (v as pulumi.Output<unknown>).apply(resolve));
    out[k] = (await pulumi.isSecret(v)) ? secretValue(value) : value;
  }
  return out;
}
