// The docker double's resource types: their inputs, how `check` validates them and how `diff` compares
// them (which changes update in place, which force a replacement). Pure; the sources of each rule are
// listed in main.ts.
import type * as provider from '@pulumi/pulumi/provider';
import { UNKNOWN, type DoubleDiffResult } from '../common';
import { asSet, diffProperties, type PropertyRule } from '../diff';
import type { ContainerInputs as PlannedContainer } from '../../support/docker';

export const NETWORK = 'docker:index/network:Network';
export const CONTAINER = 'docker:index/container:Container';
export const REMOTE_IMAGE = 'docker:index/remoteImage:RemoteImage';

export interface Label {
  label: string;
  value: string;
}

export interface NetworkInputs {
  name: string;
  driver?: string;
  labels?: Label[];
}

export interface PortInput {
  internal: number;
  external?: number;
  ip?: string;
  protocol?: string;
}

/** The inputs the program gives a container (one shape with the real-Docker tests' helper), plus mustRun. */
export interface ContainerInputs extends PlannedContainer {
  /** Keep the container running; a stopped one shows as a change that starts it (default true). */
  mustRun?: boolean;
}

export interface RemoteImageInputs {
  name: string;
  keepLocally?: boolean;
}

/** Labels compare as a map: order is irrelevant, and a later duplicate wins as in Docker. */
function labelMap(v: unknown): unknown {
  if (!Array.isArray(v)) return v;
  return Object.fromEntries((v as Label[]).map((l) => [l.label, l.value]));
}

/** Ports compare with the provider's defaults filled in (ip 0.0.0.0, protocol tcp), in order. */
function portList(v: unknown): unknown {
  if (!Array.isArray(v)) return v;
  return (v as PortInput[]).map((p) => ({ internal: p.internal, external: p.external, ip: p.ip ?? '0.0.0.0', protocol: p.protocol ?? 'tcp' }));
}

/** Networks compare as a set, each with its aliases as a set. */
function networkSet(v: unknown): unknown {
  if (!Array.isArray(v)) return v;
  return asSet((v as { name: string; aliases?: string[] }[]).map((n) => ({ name: n.name, aliases: [...(n.aliases ?? [])].sort() })));
}

const NETWORK_RULES: Record<string, PropertyRule> = {
  name: { replace: true },
  driver: { replace: true, computed: true },
  labels: { replace: true, default: [], normalize: labelMap },
};

const CONTAINER_RULES: Record<string, PropertyRule> = {
  name: { replace: true },
  image: { replace: true },
  envs: { replace: true, computed: true, normalize: asSet },
  labels: { replace: true, computed: true, normalize: labelMap },
  networksAdvanced: { replace: true, default: [], normalize: networkSet },
  ports: { replace: true, default: [], normalize: portList },
  uploads: { replace: true, default: [], normalize: asSet },
  memory: { replace: false, default: 0 },
  restart: { replace: false, default: 'no' },
  mustRun: { replace: false, default: true },
  // Optional, ForceNew and computed in the real provider: absent, the image's STOPSIGNAL reads back.
  stopSignal: { replace: true, computed: true },
};

const REMOTE_IMAGE_RULES: Record<string, PropertyRule> = {
  name: { replace: true },
  keepLocally: { replace: false, default: false },
};

interface TypeSpec {
  rules: Record<string, PropertyRule>;
  /** Replacement deletes first: the fixed name cannot exist twice. */
  deleteBeforeReplace: boolean;
  validate: (inputs: Record<string, unknown>, fail: (property: string, reason: string) => void) => void;
}

export const TYPES: Record<string, TypeSpec> = {
  [NETWORK]: { rules: NETWORK_RULES, deleteBeforeReplace: true, validate: validateNetwork },
  [CONTAINER]: { rules: CONTAINER_RULES, deleteBeforeReplace: true, validate: validateContainer },
  [REMOTE_IMAGE]: { rules: REMOTE_IMAGE_RULES, deleteBeforeReplace: false, validate: validateRemoteImage },
};

/** The spec of a type token, or an error naming the types the double implements. */
export function typeSpec(type: string): TypeSpec {
  const spec = TYPES[type];
  if (!spec) throw new Error(`the docker test double does not implement ${type} (only ${Object.keys(TYPES).join(', ')})`);
  return spec;
}

/** `check`: every failure names its property, e.g. `ports[1].internal`. */
export function checkInputs(type: string, news: Record<string, unknown>): provider.CheckFailure[] {
  const spec = TYPES[type];
  if (!spec) return [{ property: '', reason: `the docker test double does not implement ${type}` }];
  const failures: provider.CheckFailure[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason });
  for (const key of Object.keys(news)) {
    if (!(key in spec.rules) && news[key] !== undefined) fail(key, `not implemented by the docker test double (test/providers/docker)`);
  }
  spec.validate(news, fail);
  return failures;
}

/** `diff`: `olds` is the state (as the last create, update or read left it), `news` checked inputs. */
export function diffInputs(type: string, olds: Record<string, unknown>, news: Record<string, unknown>): DoubleDiffResult {
  const spec = typeSpec(type);
  const keys = Object.keys(spec.rules);
  return diffProperties(keys, (k) => spec.rules[k]!, olds, news, { deleteBeforeReplace: spec.deleteBeforeReplace });
}

type Fail = (property: string, reason: string) => void;

const known = (v: unknown) => v !== undefined && v !== UNKNOWN;

// Docker's rule for container names (daemon/names: RestrictedNameChars).
const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const RESTART_POLICIES = ['no', 'on-failure', 'always', 'unless-stopped'];

function requireString(inputs: Record<string, unknown>, key: string, fail: Fail): void {
  const v = inputs[key];
  if (v === UNKNOWN) return;
  if (typeof v !== 'string' || v.trim() === '') fail(key, `${key} is required: a non-empty string`);
}

function optional(inputs: Record<string, unknown>, key: string, typeName: 'string' | 'boolean', fail: Fail): void {
  const v = inputs[key];
  if (known(v) && typeof v !== typeName) fail(key, `must be a ${typeName}, got ${JSON.stringify(v)}`);
}

function list(inputs: Record<string, unknown>, key: string, fail: Fail, each: (item: Record<string, unknown>, at: string) => void): void {
  const v = inputs[key];
  if (!known(v)) return;
  if (!Array.isArray(v)) return fail(key, `must be a list, got ${JSON.stringify(v)}`);
  v.forEach((item, i) => {
    if (item === UNKNOWN) return;
    if (!item || typeof item !== 'object') return fail(`${key}[${i}]`, `must be an object, got ${JSON.stringify(item)}`);
    each(item as Record<string, unknown>, `${key}[${i}]`);
  });
}

function labels(inputs: Record<string, unknown>, fail: Fail): void {
  list(inputs, 'labels', fail, (l, at) => {
    for (const k of ['label', 'value']) if (known(l[k]) && typeof l[k] !== 'string') fail(`${at}.${k}`, `must be a string`);
    if (l.label === undefined) fail(`${at}.label`, 'label is required');
  });
}

function port(item: Record<string, unknown>, at: string, key: string, required: boolean, fail: Fail): void {
  const v = item[key];
  if (v === undefined) return required ? fail(`${at}.${key}`, `${key} is required`) : undefined;
  if (v !== UNKNOWN && !(Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535)) fail(`${at}.${key}`, `must be a port (1-65535), got ${JSON.stringify(v)}`);
}

function validateNetwork(inputs: Record<string, unknown>, fail: Fail): void {
  requireString(inputs, 'name', fail);
  optional(inputs, 'driver', 'string', fail);
  labels(inputs, fail);
}

function validateContainer(inputs: Record<string, unknown>, fail: Fail): void {
  requireString(inputs, 'name', fail);
  requireString(inputs, 'image', fail);
  const name = inputs.name;
  if (typeof name === 'string' && name !== UNKNOWN && name.trim() !== '' && !CONTAINER_NAME.test(name)) {
    fail('name', `${JSON.stringify(name)} is not a valid container name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)`);
  }
  const envs = inputs.envs;
  if (known(envs) && !(Array.isArray(envs) && envs.every((e) => typeof e === 'string'))) fail('envs', 'must be a list of KEY=VALUE strings');
  const memory = inputs.memory;
  if (known(memory) && !(Number.isInteger(memory) && (memory as number) >= 0)) fail('memory', `must be a whole number of MiB, got ${JSON.stringify(memory)}`);
  const restart = inputs.restart;
  if (known(restart) && !RESTART_POLICIES.includes(restart as string)) fail('restart', `must be one of ${RESTART_POLICIES.join(', ')}, got ${JSON.stringify(restart)}`);
  optional(inputs, 'mustRun', 'boolean', fail);
  list(inputs, 'networksAdvanced', fail, (n, at) => {
    if (n.name === undefined || n.name === '') fail(`${at}.name`, 'name is required');
    const aliases = n.aliases;
    if (known(aliases) && !(Array.isArray(aliases) && aliases.every((a) => typeof a === 'string'))) fail(`${at}.aliases`, 'must be a list of strings');
  });
  labels(inputs, fail);
  list(inputs, 'ports', fail, (p, at) => {
    port(p, at, 'internal', true, fail);
    port(p, at, 'external', false, fail);
    if (known(p.protocol) && !['tcp', 'udp', 'sctp'].includes(p.protocol as string)) fail(`${at}.protocol`, 'must be tcp, udp or sctp');
  });
  list(inputs, 'uploads', fail, (u, at) => {
    const file = u.file;
    if (file !== UNKNOWN && (typeof file !== 'string' || !file.startsWith('/'))) fail(`${at}.file`, 'file is required: an absolute path in the container');
    // The real provider also takes contentBase64 or source; the program uses content only.
    if (u.content !== UNKNOWN && typeof u.content !== 'string') fail(`${at}.content`, 'content is required (contentBase64 and source are not implemented by the double)');
  });
}

function validateRemoteImage(inputs: Record<string, unknown>, fail: Fail): void {
  requireString(inputs, 'name', fail);
  optional(inputs, 'keepLocally', 'boolean', fail);
}
