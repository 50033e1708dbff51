// What both provider doubles share: the extended Provider contract (a diff with per-property kinds, the
// provider configuration), the engine's unknown-value sentinel, URN parsing, and the versions they
// report. Pure: nothing here talks to Docker or the engine.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type * as provider from '@pulumi/pulumi/provider';

/** The kinds a detailed diff entry can have (pulumirpc.PropertyDiff.Kind, as words). */
export type DiffKind = 'add' | 'add-replace' | 'delete' | 'delete-replace' | 'update' | 'update-replace';

/**
 * The SDK's DiffResult plus what its gRPC server cannot send: per-property kinds. `serve.ts` turns
 * `detailedDiff` into the response's detailedDiff map, so `pulumi preview --diff` names the
 * properties and marks the ones that force a replacement.
 */
export interface DoubleDiffResult extends provider.DiffResult {
  readonly detailedDiff?: Record<string, DiffKind>;
  /**
   * The entries compare the old inputs with the new ones (aws), not the object as last read (docker,
   * whose state follows what Docker reports): tells the engine which old value to display.
   */
  readonly inputDiff?: boolean;
}

/**
 * A Provider whose diff also receives the old inputs (the engine sends them; the SDK drops them) and
 * which can read its configuration (the SDK's Configure ignores it).
 */
export interface DoubleProvider extends provider.Provider {
  diff: (id: string, urn: string, olds: any, news: any, oldInputs?: any) => Promise<DoubleDiffResult>;
  /** Provider configuration, e.g. `{ region: 'eu-west-1' }` for aws. */
  configure?: (config: Record<string, unknown>) => void;
}

/**
 * How the engine marks a value it does not know yet (during preview) when it talks to a provider
 * (sdk/go/common/resource/plugin/rpc.go UnknownStringValue; the Node SDK's rpc.unknownValue).
 */
export const UNKNOWN = '04da6b54-80e4-46f7-96ec-b56ff0331ba9';

/** True when `v` is, or contains, an unknown value. */
export function containsUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (v && typeof v === 'object') return Object.values(v).some(containsUnknown);
  return false;
}

/**
 * A copy without `undefined` members: google.protobuf.Struct cannot encode them, and the SDK's server
 * throws mid-call instead of answering.
 */
export function compact<T>(v: T): T {
  if (Array.isArray(v)) return v.map(compact) as T;
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v)
        .filter(([, x]) => x !== undefined)
        .map(([k, x]) => [k, compact(x)]),
    ) as T;
  }
  return v;
}

/**
 * Type token and logical name from a URN: `urn:pulumi:stack::project::parent$type::name` gives
 * `type` and `name` (a type may be prefixed by its parents' types, joined with `$`).
 */
export function parseUrn(urn: string): { type: string; name: string } {
  const parts = urn.split('::');
  if (parts.length < 4) throw new Error(`not a Pulumi URN: ${urn}`);
  const qualified = parts[2]!;
  return { type: qualified.slice(qualified.lastIndexOf('$') + 1), name: parts.slice(3).join('::') };
}

/** Hex SHA-256 of the parts joined by NUL: stable ids and names across runs. */
export function stableHash(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex');
}

/** Repository root (this file is test/providers/common.ts). */
export const REPO_ROOT = new URL('../../', import.meta.url).pathname;

/**
 * The version of `pkg` that package-lock.json installs, e.g. `5.2.0` for `@pulumi/docker`: the
 * doubles report the version of the SDK the program was generated against, as the real plugin does,
 * so the engine's plugin-version checks see what they would see in production.
 */
export function lockedVersion(pkg: string, lockFile = `${REPO_ROOT}package-lock.json`): string {
  const lock = JSON.parse(readFileSync(lockFile, 'utf8')) as { packages?: Record<string, { version?: string }> };
  const version = lock.packages?.[`node_modules/${pkg}`]?.version;
  if (!version) throw new Error(`${lockFile} installs no ${pkg}`);
  return version;
}

/** Deep equality of JSON-like values (what Pulumi property values are). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
    const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return false;
}
