// The ledger's vocabulary: the events a deployment records, the entry a ledger line holds, the hash
// chaining the lines, and the shape each known event's data must have (a line can be well chained and
// still malformed: readers name such an entry instead of crashing on it).
import { createHash } from 'node:crypto';
import type { Slot } from '../../stacks/schema';
import { canonicalJson } from '../../stacks/canonical';

export type StepStatus = 'ok' | 'failed' | 'skipped';

/** `started`: what is being deployed, by whom, where. */
export interface StartedData {
  /** Image reference pinned by digest, e.g. `ghcr.io/acme/shop@sha256:…`. */
  artifact: string;
  /** The image digest alone, `sha256:<64 hex>` — the identity promoted between environments. */
  digest: string;
  /** Version label the app reports, e.g. `1.4.2`. */
  version: string;
  /** Source commit the artifact was built from, when known. */
  commit?: string;
  /** `configHash()` of the stack configuration being deployed. */
  configHash: string;
  /**
   * Id of the app configuration (`slipway:app.env` and the secret values) the slot is deployed with,
   * as its release records it (stacks/appEnv.ts); a changed secret value changes it.
   */
  appConfig?: string;
  /** Who (or which automation) started the deployment. */
  actor: string;
  /** The idle slot the release goes to. */
  slot: Slot;
  /** The slot that was live when the deployment started. */
  from: Slot;
  /** The stack's declared knobs at deploy time (target, sizes, counts, approval policy). */
  knobs: Record<string, unknown>;
  /**
   * `rollback` for a switch back to the warm slot (no new release); `recovery` for `slipway rebuild`
   * (the stack's recorded releases brought back, `slot` and `from` the live slot); `drill` for
   * `slipway drill` (the idle slot `slot` rebuilt from nothing); `deploy` when absent.
   */
  kind?: 'deploy' | 'rollback' | 'recovery' | 'drill';
}

/** `step`: one pipeline step's result. */
export interface StepData {
  /** Step name, e.g. `deploy-idle`, `smoke-idle`, `verify-live`. */
  name: string;
  status: StepStatus;
  /** ISO time the step began (the entry's `at` is when it ended). */
  startedAt: string;
  ms: number;
  /** One line for people: what failed, why it was skipped, what was checked. */
  detail?: string;
}

/** `gate`: the pipeline stopped to wait for a person (continuous delivery). */
export interface GateData {
  /** Who may approve. */
  approvers: string[];
  /** The slot that waits, ready. */
  slot?: Slot;
  /** Where the waiting release can be tried before approving. */
  testUrl?: string;
}

/** `approved`: a person let the deployment through its gate. The entry's `at` is when. */
export interface ApprovedData {
  by: string;
  comment?: string;
}

/** `rejected`: a person stopped the deployment at its gate. The entry's `at` is when. */
export interface RejectedData {
  by: string;
  reason?: string;
}

/** `switched`: production traffic moved. */
export interface SwitchedData {
  from: Slot;
  to: Slot;
}

/** `rolled-back`: traffic moved back to the warm slot `to`. */
export interface RolledBackData {
  to: Slot;
  reason: string;
  from?: Slot;
  /** True when a quality signal triggered it, false when a person asked. */
  automatic?: boolean;
}

/** `recovered`: a rebuild or drill ended with its smoke checks passing. */
export interface RecoveredData {
  /**
   * `state-lost`: no stack in the backend, created afresh from the stack file; `resources-missing`:
   * refresh found resources deleted behind the state's back; `intact`: nothing was missing;
   * `drill`: the idle slot was rebuilt from nothing.
   */
  mode: 'state-lost' | 'resources-missing' | 'intact' | 'drill';
  /**
   * The measured recovery time: command start to the public URL passing its smoke checks (for a
   * drill: to the test URL passing them).
   */
  ms: number;
  /** Resources the engine created or replaced. */
  rebuilt: number;
  /** The stack whose stack file this one was created from (`rebuild --into`). */
  source?: string;
}

/** `resumed`: a run carried on an open deployment after an interrupt; who started that run. */
export interface ResumedData {
  by: string;
}

/** `finished`: the deployment completed and its slot serves production. */
export interface FinishedData {
  slot: Slot;
}

/** `failed`: the pipeline stopped with an error. */
export interface FailedData {
  /** One line: what went wrong. */
  reason: string;
  /** True when the failure happened before the switch, so production never saw the release. */
  liveUnchanged?: boolean;
}

/** Payload per event type. To add an event type, add it here (readers ignore types they don't know). */
export interface LedgerEventData {
  started: StartedData;
  step: StepData;
  gate: GateData;
  approved: ApprovedData;
  rejected: RejectedData;
  switched: SwitchedData;
  'rolled-back': RolledBackData;
  finished: FinishedData;
  failed: FailedData;
  recovered: RecoveredData;
  resumed: ResumedData;
}

export type EventType = keyof LedgerEventData;

export const EVENT_TYPES: readonly EventType[] = [
  'started', 'step', 'gate', 'approved', 'rejected', 'switched', 'rolled-back', 'finished', 'failed', 'recovered', 'resumed',
];

/** What a caller appends; the ledger adds sequence, time, stack and the chain. */
export type LedgerEvent = {
  [T in EventType]: { deploymentId: string; type: T; data: LedgerEventData[T] };
}[EventType];

/** Same as LedgerEvent (the name the pipeline uses for what it appends). */
export type LedgerEventInput = LedgerEvent;

/** One line of a ledger file. */
export type LedgerEntry = LedgerEvent & {
  /** 1 for the first line, then +1 per line. */
  seq: number;
  /** ISO time the entry was appended. */
  at: string;
  stack: string;
  /** `hash` of the previous line; GENESIS for the first. */
  prev: string;
  /** sha256 of the canonical JSON of this entry without `hash`. */
  hash: string;
};

/** `prev` of the first line of every ledger. */
export const GENESIS = `sha256:${'0'.repeat(64)}`;

/** The hash an entry must carry: over its canonical JSON (sorted keys), without `hash` itself. */
export function entryHash(entry: Record<string, unknown>): string {
  const { hash: _ignored, ...content } = entry;
  return `sha256:${createHash('sha256').update(canonicalJson(content)).digest('hex')}`;
}

export const DEPLOYMENT_ID_RE = /^[A-Za-z0-9][\w.-]{0,99}$/;
export const STACK_RE = /^[a-z][a-z0-9-]*$/;

type FieldRule = 'string' | 'string?' | 'slot' | 'slot?' | 'number' | 'boolean?' | 'strings' | 'status' | 'kind?' | 'mode';

/** What each known event's data must hold for the derivations to read it. Extra fields are fine. */
const SHAPES: { [T in EventType]: Record<string, FieldRule> } = {
  started: { artifact: 'string', digest: 'string', version: 'string', commit: 'string?', configHash: 'string?', appConfig: 'string?', actor: 'string', slot: 'slot', from: 'slot', kind: 'kind?' },
  step: { name: 'string', status: 'status', startedAt: 'string', ms: 'number', detail: 'string?' },
  gate: { approvers: 'strings', slot: 'slot?', testUrl: 'string?' },
  approved: { by: 'string', comment: 'string?' },
  rejected: { by: 'string', reason: 'string?' },
  switched: { from: 'slot', to: 'slot' },
  'rolled-back': { to: 'slot', reason: 'string', from: 'slot?', automatic: 'boolean?' },
  finished: { slot: 'slot?' },
  failed: { reason: 'string', liveUnchanged: 'boolean?' },
  recovered: { mode: 'mode', ms: 'number', rebuilt: 'number', source: 'string?' },
  resumed: { by: 'string' },
};

const RULES: Record<FieldRule, [(v: unknown) => boolean, string]> = {
  string: [(v) => typeof v === 'string', 'a string'],
  'string?': [(v) => v === undefined || typeof v === 'string', 'a string'],
  slot: [(v) => v === 'blue' || v === 'green', 'a slot (blue or green)'],
  'slot?': [(v) => v === undefined || v === 'blue' || v === 'green', 'a slot (blue or green)'],
  number: [(v) => typeof v === 'number' && Number.isFinite(v), 'a number'],
  'boolean?': [(v) => v === undefined || typeof v === 'boolean', 'true or false'],
  strings: [(v) => Array.isArray(v) && v.every((s) => typeof s === 'string'), 'a list of strings'],
  status: [(v) => v === 'ok' || v === 'failed' || v === 'skipped', 'ok, failed or skipped'],
  'kind?': [(v) => v === undefined || ['deploy', 'rollback', 'recovery', 'drill'].includes(v as string), 'deploy, rollback, recovery or drill'],
  mode: [(v) => ['state-lost', 'resources-missing', 'intact', 'drill'].includes(v as string), 'state-lost, resources-missing, intact or drill'],
};

/**
 * Why a known event's data is malformed (`data.version is not a string, it is 5`), or undefined when
 * it is fine. Unknown event types (from a newer Slipway) are not checked.
 */
export function dataProblem(type: string, data: Record<string, unknown>): string | undefined {
  const shape = (SHAPES as Record<string, Record<string, FieldRule>>)[type];
  if (!Object.hasOwn(SHAPES, type) || !shape) return undefined;
  for (const [key, rule] of Object.entries(shape)) {
    const [ok, what] = RULES[rule];
    if (!ok(data[key])) {
      return data[key] === undefined ? `data.${key} is missing (${what})` : `data.${key} is not ${what}, it is ${printable(JSON.stringify(data[key]).slice(0, 40))}`;
    }
  }
  return undefined;
}

/**
 * Text from a ledger made safe for a terminal: control characters (C0, DEL, C1 — escape sequences
 * start with them) and the line and bidirectional-override separators are shown as `\x1b` / `\u202e`
 * escapes, so a ledger can neither drive the terminal nor disguise what it shows.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`;
  });
}

/** JSON for a terminal: as JSON.stringify, with the characters `printable` escapes written as `\uXXXX`. */
export function printableJson(value: unknown, space?: number): string {
  return JSON.stringify(value, null, space).replace(/[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
