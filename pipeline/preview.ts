// Pull-request previews, the pure part: read what Pulumi says it would change (from the engine port, a
// saved `pulumi preview --json` digest, or an engine event log), boil it down to a summary per stack,
// and render that as one GitHub comment. No I/O here; pipeline/commands/preview.ts runs things.
import type { EngineEvent, PreviewResult } from './engine';
import { UserError } from './errors';

// ---------------------------------------------------------------------------------------------------
// The summary (what `--json` prints and the Markdown is rendered from)

/** What happens to a resource, once the engine's replacement steps are folded into one. */
export type ChangeOp = 'create' | 'update' | 'replace' | 'delete' | 'import';

/** One changed property of a resource. Values are display strings, already safe to show. */
export interface PropertyChange {
  /** Property path as Pulumi writes it: `ingress[1].fromPort`, `tags["team"]`. */
  path: string;
  /** `add`, `update`, `delete`, or one of those with `-replace`. */
  kind: string;
  /** This property alone forces the resource to be replaced. */
  replaces: boolean;
  /** Before and after, when the input carried states (`[secret]`, `[unknown]` where they apply). */
  old?: string;
  new?: string;
}

/** Why a change deserves a second look: the resource carries traffic or holds data. */
export interface Risk {
  kind: 'traffic' | 'stateful';
  /** What the resource is, for people: `load balancer`, `database`, `log group (365-day retention)`. */
  what: string;
}

export interface ResourceChange {
  op: ChangeOp;
  urn: string;
  /** Logical name from the URN. */
  name: string;
  /** Full type token, e.g. `aws:lb/targetGroup:TargetGroup`. */
  type: string;
  /** Short form for display, e.g. `aws:lb:TargetGroup`. */
  shortType: string;
  properties: PropertyChange[];
  /** Properties that force the replacement (replacements only). */
  replaceReasons: string[];
  /** Replacement deletes the old resource before creating the new one (a gap), when the input says. */
  deleteBeforeReplace?: boolean;
  risk?: Risk;
  /** The operation failed (event logs of an `up`). */
  failed?: boolean;
}

export interface Diagnostic {
  severity: 'error' | 'warning';
  message: string;
  /** Short name of the resource it concerns, if any. */
  resource?: string;
}

export interface StackPreview {
  stack: string;
  /** `update` when the input was the log of an `up`: the changes already happened. */
  kind: 'preview' | 'update';
  /** Resources by operation, as the engine counted them (`same` = unchanged). */
  counts: Record<string, number>;
  /** Replacements and deletions first (risky ones first), then the rest, in the engine's order. */
  changes: ResourceChange[];
  /** Errors, then warnings. */
  diagnostics: Diagnostic[];
  /** The preview itself failed with this message; `changes` may be partial. */
  error?: string;
}

export interface PreviewSummary {
  stacks: StackPreview[];
}

// ---------------------------------------------------------------------------------------------------
// Input: the common shape the three sources are reduced to

/** A resource state as both formats carry it; only inputs and outputs matter here. */
export interface StateLike {
  type?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

/** One engine step, whatever format it came from. */
export interface RawStep {
  op: string;
  urn: string;
  type?: string;
  /** Path → diff kind; null/undefined when the provider gave no detailed diff. */
  detailedDiff?: Record<string, { kind: string; inputDiff?: boolean }> | null;
  /** Top-level keys that differ (used when there is no detailed diff). */
  diffs?: string[];
  replaceReasons?: string[];
  old?: StateLike;
  new?: StateLike;
  failed?: boolean;
}

export interface ParsedPreview {
  format: 'engine' | 'preview-json' | 'event-log';
  kind: 'preview' | 'update';
  /** Stack named by the first URN, when the input has one. */
  stack?: string;
  steps: RawStep[];
  /** The engine's own counts, when the input has them. */
  counts?: Record<string, number>;
  diagnostics: Diagnostic[];
}

// ---------------------------------------------------------------------------------------------------
// Parsing

/** The keys of an engine event that say which kind it is (apitype.EngineEvent). */
const EVENT_KEYS = [
  'cancelEvent', 'stdoutEvent', 'diagnosticEvent', 'preludeEvent', 'summaryEvent', 'resourcePreEvent',
  'resOutputsEvent', 'resOpFailedEvent', 'policyEvent', 'policyRemediationEvent', 'policyLoadEvent',
  'policyAnalyzeSummaryEvent', 'policyRemediateSummaryEvent', 'policyAnalyzeStackSummaryEvent',
  'startDebuggingEvent', 'progressEvent', 'errorEvent',
] as const;
const DIGEST_KEYS = ['steps', 'changeSummary', 'diagnostics', 'duration', 'config', 'maybeCorrupt'] as const;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isEvent = (v: unknown): v is Json => isObject(v) && EVENT_KEYS.some((k) => k in v);

/**
 * Reads a saved `pulumi preview --json` document or an engine event log (one JSON event per line, or
 * a JSON array / `{events: […]}` of them), telling them apart by shape. `label` names the input in errors.
 */
export function parsePreviewDocument(text: string, label = 'input'): ParsedPreview {
  if (text.trim() === '') throw new UserError(`${label}: empty (expected \`pulumi preview --json\` output or an engine event log)`);
  let whole: unknown;
  let isJson = true;
  try {
    whole = JSON.parse(text);
  } catch {
    isJson = false;
  }
  if (isJson) {
    if (Array.isArray(whole)) return parseEventLog(whole, label);
    if (isObject(whole) && Array.isArray(whole.events)) return parseEventLog(whole.events, label);
    if (isEvent(whole)) return parseEventLog([whole], label);
    if (isObject(whole) && (DIGEST_KEYS.some((k) => k in whole) || Object.keys(whole).length === 0)) return parseDigest(whole, label);
    throw new UserError(`${label}: not a \`pulumi preview --json\` document (no steps, changeSummary or diagnostics) nor an engine event log`);
  }
  const events: unknown[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      events.push(JSON.parse(line));
    } catch (e) {
      throw new UserError(`${label}: line ${i + 1} is not JSON (${(e as Error).message}); expected one engine event per line, or a \`pulumi preview --json\` document`);
    }
  });
  return parseEventLog(events, label);
}

/** The preview digest `pulumi preview --json` prints (pkg/backend/display/json.go). */
function parseDigest(doc: Json, label: string): ParsedPreview {
  const steps: RawStep[] = [];
  const rawSteps = doc.steps ?? [];
  if (!Array.isArray(rawSteps)) throw new UserError(`${label}: steps must be a list`);
  rawSteps.forEach((s, i) => {
    if (!isObject(s) || typeof s.op !== 'string' || typeof s.urn !== 'string') {
      throw new UserError(`${label}: steps[${i}] needs a string op and urn`);
    }
    const oldState = isObject(s.oldState) ? (s.oldState as StateLike) : undefined;
    const newState = isObject(s.newState) ? (s.newState as StateLike) : undefined;
    steps.push({
      op: s.op,
      urn: s.urn,
      type: newState?.type ?? oldState?.type,
      detailedDiff: diffMap(s.detailedDiff, 'kind'),
      diffs: strings(s.diffReasons),
      replaceReasons: strings(s.replaceReasons),
      old: oldState,
      new: newState,
    });
  });
  const diagnostics: Diagnostic[] = [];
  for (const d of Array.isArray(doc.diagnostics) ? doc.diagnostics : []) {
    if (!isObject(d)) continue;
    const diag = diagnostic(String(d.severity ?? ''), `${str(d.prefix)}${str(d.message)}`, str(d.urn));
    if (diag) diagnostics.push(diag);
  }
  const urns = (Array.isArray(doc.diagnostics) ? doc.diagnostics : []).map((d) => (isObject(d) ? str(d.urn) : ''));
  return {
    format: 'preview-json',
    kind: 'preview',
    stack: stackOf([...steps.map((s) => s.urn), ...urns]),
    steps,
    counts: counts(doc.changeSummary),
    diagnostics,
  };
}

/** Engine events (sdk/go/common/apitype/events.go), as `--event-log` writes them. */
function parseEventLog(events: unknown[], label: string): ParsedPreview {
  const objs = events.filter(isEvent);
  if (objs.length === 0) throw new UserError(`${label}: no engine events in it (each line should be one JSON event such as {"sequence":1,"resourcePreEvent":{…}})`);
  // Events may be written out of order by concurrent steps; the sequence number orders them.
  const ordered = objs.every((e) => typeof e.sequence === 'number') ? [...objs].sort((a, b) => (a.sequence as number) - (b.sequence as number)) : objs;
  const steps: RawStep[] = [];
  const diagnostics: Diagnostic[] = [];
  const failed = new Set<string>();
  let summaryCounts: Record<string, number> | undefined;
  let isPreview: boolean | undefined;
  let planningOutputs = false;
  let appliedOutputs = false;
  for (const e of ordered) {
    if (isObject(e.resourcePreEvent) && isObject(e.resourcePreEvent.metadata)) {
      const m = e.resourcePreEvent.metadata;
      if (typeof m.op !== 'string' || typeof m.urn !== 'string') continue;
      steps.push({
        op: m.op,
        urn: m.urn,
        type: str(m.type) || undefined,
        detailedDiff: diffMap(m.detailedDiff, 'diffKind'),
        diffs: strings(m.diffs),
        replaceReasons: strings(m.keys),
        old: isObject(m.old) ? (m.old as StateLike) : undefined,
        new: isObject(m.new) ? (m.new as StateLike) : undefined,
      });
    } else if (isObject(e.resOutputsEvent)) {
      const op = isObject(e.resOutputsEvent.metadata) ? e.resOutputsEvent.metadata.op : undefined;
      if (e.resOutputsEvent.planning === true) planningOutputs = true;
      else if (op !== 'same') appliedOutputs = true;
    } else if (isObject(e.resOpFailedEvent) && isObject(e.resOpFailedEvent.metadata)) {
      failed.add(str(e.resOpFailedEvent.metadata.urn));
    } else if (isObject(e.diagnosticEvent)) {
      const d = e.diagnosticEvent;
      if (d.ephemeral === true) continue;
      const diag = diagnostic(str(d.severity), `${str(d.prefix)}${str(d.message)}`, str(d.urn));
      if (diag) diagnostics.push(diag);
    } else if (isObject(e.policyEvent)) {
      const p = e.policyEvent;
      const severity = p.enforcementLevel === 'mandatory' ? 'error' : p.enforcementLevel === 'none' ? undefined : 'warning';
      if (severity) {
        const diag = diagnostic(severity, `policy ${str(p.policyPackName)}/${str(p.policyName)}: ${str(p.message)}`, str(p.resourceUrn));
        if (diag) diagnostics.push(diag);
      }
    } else if (isObject(e.errorEvent)) {
      const diag = diagnostic('error', str(e.errorEvent.error), '');
      if (diag) diagnostics.push(diag);
    } else if (isObject(e.summaryEvent)) {
      summaryCounts = counts(e.summaryEvent.resourceChanges);
      if (typeof e.summaryEvent.isPreview === 'boolean') isPreview = e.summaryEvent.isPreview;
    }
  }
  for (const s of steps) if (failed.has(s.urn)) s.failed = true;
  // Older logs carry no isPreview; outputs reported outside planning mean the changes were applied.
  const kind = isPreview === true ? 'preview' : isPreview === false ? 'update' : appliedOutputs && !planningOutputs ? 'update' : 'preview';
  const urns = ordered.map((e) => (isObject(e.diagnosticEvent) ? str(e.diagnosticEvent.urn) : ''));
  return { format: 'event-log', kind, stack: stackOf([...steps.map((s) => s.urn), ...urns]), steps, counts: summaryCounts, diagnostics };
}

/** A port step that also carries the engine's before/after states (an adapter may add them; values then show). */
type StepWithStates = PreviewResult['steps'][number] & { old?: StateLike; new?: StateLike };

/** The engine port's preview result plus the diagnostics seen while it ran. */
export function fromEngine(result: PreviewResult, events: readonly EngineEvent[] = []): ParsedPreview {
  const diagnostics: Diagnostic[] = [];
  for (const e of events) {
    if (e.kind !== 'diagnostic') continue;
    const d = diagnostic(e.severity, e.message, e.urn ?? '');
    if (d) diagnostics.push(d);
  }
  const steps: RawStep[] = (result.steps as StepWithStates[]).map((s) => ({
    op: s.op,
    urn: s.urn,
    type: s.type,
    detailedDiff: Object.fromEntries(Object.entries(s.diff).map(([path, kind]) => [path, { kind }])),
    replaceReasons: s.replaceReasons,
    ...(isObject(s.old) ? { old: s.old } : {}),
    ...(isObject(s.new) ? { new: s.new } : {}),
  }));
  return { format: 'engine', kind: 'preview', stack: stackOf(steps.map((s) => s.urn)), steps, counts: counts(result.changes), diagnostics };
}

function diffMap(v: unknown, kindKey: 'kind' | 'diffKind'): RawStep['detailedDiff'] {
  if (!isObject(v)) return null;
  const out: Record<string, { kind: string; inputDiff?: boolean }> = {};
  for (const [path, d] of Object.entries(v)) {
    if (!isObject(d)) continue;
    // Accept either spelling: the digest writes `kind`, the events `diffKind`.
    const kind = str(d[kindKey]) || str(d.kind) || str(d.diffKind) || 'update';
    out[path] = { kind, inputDiff: d.inputDiff === true };
  }
  return out;
}

function diagnostic(severity: string, rawMessage: string, urn: string): Diagnostic | undefined {
  // `info#err` is a program's stderr: noise next to real errors and warnings, like info and debug.
  if (severity !== 'error' && severity !== 'warning') return undefined;
  const message = stripColor(rawMessage).trim();
  if (message === '') return undefined;
  const parsed = parseUrn(urn);
  // A diagnostic on the stack itself is about the program, not one resource.
  const resource = urn && parsed.type !== 'pulumi:pulumi:Stack' ? parsed.name : undefined;
  return { severity, message, ...(resource ? { resource } : {}) };
}

/** Removes Pulumi's colour tags (`<{%fg 1%}>`) and ANSI escapes. */
export function stripColor(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/<\{%[^%]*%\}>/g, '').replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
}

function counts(v: unknown): Record<string, number> | undefined {
  if (!isObject(v)) return undefined;
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(v)) if (typeof n === 'number' && Number.isFinite(n)) out[k] = n;
  return Object.keys(out).length > 0 ? out : undefined;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const strings = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined);

/** The stack named by the first well-formed URN. */
function stackOf(urns: readonly string[]): string | undefined {
  for (const urn of urns) {
    const stack = parseUrn(urn).stack;
    if (stack) return stack;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// URNs and types

export interface ParsedUrn {
  stack?: string;
  project?: string;
  /** The resource's own type (the last of the `$`-joined parent chain). */
  type?: string;
  name: string;
}

/** `urn:pulumi:STACK::PROJECT::[PARENT$]TYPE::NAME` — the name may itself contain `::`. */
export function parseUrn(urn: string): ParsedUrn {
  const parts = urn.split('::');
  const head = parts[0] ?? '';
  if (!head.startsWith('urn:pulumi:') || parts.length < 4) return { name: urn };
  const qualified = parts[2] ?? '';
  return { stack: head.slice('urn:pulumi:'.length), project: parts[1], type: qualified.split('$').pop(), name: parts.slice(3).join('::') };
}

/** `aws:lb/targetGroup:TargetGroup` → `aws:lb:TargetGroup` (the module's member part repeats the name). */
export function shortType(type: string): string {
  const m = /^([^:]+):([^:/]+)\/([^:]+):(.+)$/.exec(type);
  if (!m) return type;
  const [, pkg, mod, member, name] = m;
  return member!.toLowerCase() === name!.toLowerCase() ? `${pkg}:${mod}:${name}` : type;
}

/** The AWS types whose replacement or deletion moves traffic or loses data, by `module:Name`. */
const RISKY: Record<string, Risk> = {
  'lb:LoadBalancer': { kind: 'traffic', what: 'load balancer' },
  'lb:Listener': { kind: 'traffic', what: 'listener' },
  'lb:ListenerRule': { kind: 'traffic', what: 'listener rule' },
  'lb:TargetGroup': { kind: 'traffic', what: 'target group' },
  'lb:TargetGroupAttachment': { kind: 'traffic', what: 'target group attachment' },
  'ecs:Service': { kind: 'traffic', what: 'ECS service' },
  'route53:Record': { kind: 'traffic', what: 'DNS record' },
  'cloudfront:Distribution': { kind: 'traffic', what: 'CloudFront distribution' },
  'ec2:Vpc': { kind: 'traffic', what: 'VPC' },
  'ec2:Subnet': { kind: 'traffic', what: 'subnet' },
  'ec2:RouteTable': { kind: 'traffic', what: 'route table' },
  'ec2:Route': { kind: 'traffic', what: 'route' },
  'ec2:RouteTableAssociation': { kind: 'traffic', what: 'route table association' },
  'ec2:NatGateway': { kind: 'traffic', what: 'NAT gateway' },
  'ec2:InternetGateway': { kind: 'traffic', what: 'internet gateway' },
  'ec2:Eip': { kind: 'traffic', what: 'Elastic IP' },
  'ec2:SecurityGroup': { kind: 'traffic', what: 'security group' },
  'ec2:SecurityGroupRule': { kind: 'traffic', what: 'security group rule' },
  'vpc:SecurityGroupIngressRule': { kind: 'traffic', what: 'security group rule' },
  'vpc:SecurityGroupEgressRule': { kind: 'traffic', what: 'security group rule' },
  'ecr:Repository': { kind: 'stateful', what: 'ECR repository (images)' },
  'cloudwatch:LogGroup': { kind: 'stateful', what: 'log group' },
  'dynamodb:Table': { kind: 'stateful', what: 'DynamoDB table' },
  's3:Bucket': { kind: 'stateful', what: 'S3 bucket' },
  's3:BucketV2': { kind: 'stateful', what: 'S3 bucket' },
  'efs:FileSystem': { kind: 'stateful', what: 'EFS file system' },
  'kms:Key': { kind: 'stateful', what: 'KMS key' },
  'secretsmanager:Secret': { kind: 'stateful', what: 'secret' },
};
/** Whole AWS modules that are all traffic-bearing or stateful. */
const RISKY_MODULES: Record<string, Risk> = {
  alb: { kind: 'traffic', what: 'load balancer' },
  elb: { kind: 'traffic', what: 'load balancer' },
  rds: { kind: 'stateful', what: 'database' },
  elasticache: { kind: 'stateful', what: 'cache cluster' },
};

/** Flags types that carry traffic or hold state; `state` refines the label (a log group's retention). */
export function riskOf(type: string, state?: StateLike): Risk | undefined {
  const m = /^aws:([^:/]+)(?:\/[^:]+)?:(.+)$/.exec(type);
  if (!m) return undefined;
  const [, mod, name] = m;
  const known = RISKY[`${mod === 'alb' ? 'lb' : mod}:${name}`] ?? RISKY_MODULES[mod!];
  if (!known) return undefined;
  if (known.what === 'log group') {
    const days = state?.inputs?.retentionInDays ?? state?.outputs?.retentionInDays;
    if (typeof days === 'number' && days > 0) return { ...known, what: `log group (${days}-day retention)` };
    if (days === 0) return { ...known, what: 'log group (kept forever)' };
  }
  return known;
}

// ---------------------------------------------------------------------------------------------------
// Summarising

const REPLACE_OPS = new Set(['replace', 'create-replacement', 'delete-replaced', 'import-replacement']);
const DIRECT_OPS = new Set<ChangeOp>(['create', 'update', 'delete', 'import']);
/** Order of the sections: what can hurt first. */
const OP_ORDER: ChangeOp[] = ['replace', 'delete', 'create', 'update', 'import'];
/** The stack itself: its "changes" are output changes, not resources a reviewer can act on. */
const HIDDEN_TYPE = /^pulumi:pulumi:Stack$/;

/**
 * One stack's summary: the steps of each resource folded into one change (a replacement's
 * create-replacement / replace / delete-replaced triple is ONE replacement), ordered for review.
 */
export function summarise(stack: string, parsed: ParsedPreview, error?: string): StackPreview {
  const byUrn = new Map<string, RawStep[]>();
  for (const s of parsed.steps) byUrn.set(s.urn, [...(byUrn.get(s.urn) ?? []), s]);
  const changes: ResourceChange[] = [];
  let sames = 0;
  for (const [urn, steps] of byUrn) {
    const change = fold(urn, steps);
    if (change) changes.push(change);
    else if (steps.some((s) => s.op === 'same')) sames++;
  }
  const rank = (c: ResourceChange) => OP_ORDER.indexOf(c.op) * 2 + ((c.op === 'replace' || c.op === 'delete') && !c.risk ? 1 : 0);
  const ordered = changes.map((c, i) => ({ c, i })).sort((a, b) => rank(a.c) - rank(b.c) || a.i - b.i).map((x) => x.c);
  const counted: Record<string, number> = {};
  for (const c of changes) counted[c.op] = (counted[c.op] ?? 0) + 1;
  if (sames > 0) counted.same = sames;
  const diagnostics = [...parsed.diagnostics].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
  return {
    stack,
    kind: parsed.kind,
    counts: parsed.counts ?? counted,
    changes: ordered,
    diagnostics,
    ...(error !== undefined ? { error } : {}),
  };
}

function fold(urn: string, steps: RawStep[]): ResourceChange | undefined {
  const ops = steps.map((s) => s.op);
  let op: ChangeOp | undefined;
  if (ops.some((o) => REPLACE_OPS.has(o))) op = 'replace';
  else op = ops.find((o): o is ChangeOp => DIRECT_OPS.has(o as ChangeOp));
  if (!op) return undefined;
  const parsedUrn = parseUrn(urn);
  const type = steps.find((s) => s.type)?.type ?? parsedUrn.type ?? 'unknown';
  if (HIDDEN_TYPE.test(type)) return undefined;
  // The step that describes the change best: the logical `replace` one, then any with a diff.
  const main = steps.find((s) => s.op === 'replace') ?? steps.find((s) => s.detailedDiff && Object.keys(s.detailedDiff).length > 0) ?? steps[0]!;
  const oldState = steps.find((s) => s.old)?.old;
  const newState = [...steps].reverse().find((s) => s.new)?.new;
  const replaceReasons = unique(steps.flatMap((s) => s.replaceReasons ?? []));
  const properties = op === 'create' || op === 'delete' ? [] : propertyChanges(main, oldState, newState, replaceReasons);
  const created = ops.indexOf('create-replacement');
  const deleted = ops.indexOf('delete-replaced');
  const change: ResourceChange = {
    op,
    urn,
    name: parsedUrn.name,
    type,
    shortType: shortType(type),
    properties,
    replaceReasons: op === 'replace' ? replaceReasons : [],
  };
  if (op === 'replace' && created >= 0 && deleted >= 0) change.deleteBeforeReplace = deleted < created;
  const risk = riskOf(type, oldState ?? newState);
  if (risk) change.risk = risk;
  if (steps.some((s) => s.failed)) change.failed = true;
  return change;
}

function propertyChanges(step: RawStep, oldState: StateLike | undefined, newState: StateLike | undefined, replaceReasons: string[]): PropertyChange[] {
  const entries: [string, { kind: string; inputDiff?: boolean }][] = step.detailedDiff
    ? Object.entries(step.detailedDiff)
    : unique([...(step.diffs ?? []), ...replaceReasons]).map((p) => [p, { kind: replaceReasons.includes(p) ? 'update-replace' : 'update' }]);
  const reasons = new Set(replaceReasons);
  return entries.map(([path, d]) => {
    const top = parsePath(path)[0];
    const change: PropertyChange = {
      path,
      kind: d.kind,
      replaces: d.kind.endsWith('-replace') || reasons.has(path) || (typeof top === 'string' && reasons.has(top)),
    };
    if (oldState && !d.kind.startsWith('add')) {
      const root = d.inputDiff ? oldState.inputs : oldState.outputs ?? oldState.inputs;
      let v = lookup(root, path);
      if (v === MISSING && root !== oldState.inputs) v = lookup(oldState.inputs, path);
      if (v !== MISSING) change.old = showValue(v);
    }
    if (newState && !d.kind.startsWith('delete')) {
      let v = lookup(newState.inputs, path);
      if (v === MISSING) v = lookup(newState.outputs, path);
      if (v !== MISSING) change.new = showValue(v);
    }
    return change;
  });
}

const unique = <T>(xs: readonly T[]): T[] => [...new Set(xs)];

// ---------------------------------------------------------------------------------------------------
// Property paths and values

/** `a.b[0]["c.d"]` → `['a', 'b', 0, 'c.d']`. Unparseable text becomes one segment. */
export function parsePath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  let i = 0;
  let name = '';
  const flush = () => {
    if (name !== '') out.push(name);
    name = '';
  };
  while (i < path.length) {
    const c = path[i]!;
    if (c === '.') {
      flush();
      i++;
    } else if (c === '[') {
      flush();
      const close = path[i + 1] === '"' ? closingQuote(path, i + 2) : path.indexOf(']', i);
      if (close < 0) return [path];
      if (path[i + 1] === '"') {
        try {
          out.push(JSON.parse(path.slice(i + 1, close + 1)) as string);
        } catch {
          return [path];
        }
        i = close + 2; // past `"]`
      } else {
        const inner = path.slice(i + 1, close);
        out.push(/^\d+$/.test(inner) ? Number(inner) : inner);
        i = close + 1;
      }
    } else {
      name += c;
      i++;
    }
  }
  flush();
  return out;
}

function closingQuote(s: string, from: number): number {
  for (let i = from; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return s[i + 1] === ']' ? i : -1;
  }
  return -1;
}

/** Signature keys of Pulumi's serialized special values (sdk/go/common/resource/sig). */
const SIG = '4dabf18193072939515e22adb298388d';
const SIG_SECRET = '1b47061264138c4ac30d75fd1eb44270';
const SIG_ASSET = 'c44067f5952c0a294b673a41bacd8c17';
const SIG_ARCHIVE = '0def7320c3a5731c473e5ecbe6d01bc7';
const SIG_RESOURCE = '5cf8f73096256a8f31e491e813e4eb8e';
const SIG_OUTPUT = 'd0e6a833031e9bbcd3f4e8bde6ca49a4';
/** What the engine writes for a value not known until the resource exists. */
export const UNKNOWN_VALUE = '04da6b54-80e4-46f7-96ec-b56ff0331ba9';

/** A value shown as a label rather than as data. */
class Label {
  constructor(readonly text: string) {}
}
const SECRET = new Label('[secret]');
const UNKNOWN = new Label('[unknown]');
const MISSING = Symbol('missing');

/**
 * The display form of a serialized property value: secrets (either the engine's `[secret]` mask or a
 * secret envelope, whatever it holds) become `[secret]`, unknowns `[unknown]`, assets short labels.
 */
function classify(v: unknown): unknown {
  if (v === '[secret]') return SECRET;
  if (v === UNKNOWN_VALUE) return UNKNOWN;
  if (!isObject(v) || !(SIG in v)) return v;
  switch (v[SIG]) {
    case SIG_SECRET:
      return SECRET;
    case SIG_OUTPUT:
      if (v.secret === true) return SECRET;
      return 'value' in v ? classify(v.value) : UNKNOWN;
    case SIG_ASSET:
      return new Label(`asset(${typeof v.path === 'string' ? v.path : typeof v.uri === 'string' ? v.uri : hashLabel(v.hash)})`);
    case SIG_ARCHIVE:
      return new Label(`archive(${typeof v.path === 'string' ? v.path : typeof v.uri === 'string' ? v.uri : hashLabel(v.hash)})`);
    case SIG_RESOURCE:
      return new Label(`resource(${typeof v.urn === 'string' ? parseUrn(v.urn).name : '?'})`);
    default:
      return v;
  }
}

const hashLabel = (h: unknown) => (typeof h === 'string' && h ? `${h.slice(0, 12)}…` : '…');

function lookup(root: unknown, path: string): unknown {
  if (root === undefined) return MISSING;
  let cur: unknown = root;
  for (const seg of parsePath(path)) {
    cur = classify(cur);
    // Anything below a secret is secret, anything below an unknown unknown.
    if (cur instanceof Label) return cur === SECRET || cur === UNKNOWN ? cur : MISSING;
    if (Array.isArray(cur) && typeof seg === 'number') cur = cur[seg];
    else if (isObject(cur) && typeof seg === 'string' && Object.hasOwn(cur, seg)) cur = cur[seg];
    else if (isObject(cur) && typeof seg === 'number' && Object.hasOwn(cur, String(seg))) cur = cur[String(seg)];
    else return MISSING;
  }
  return cur === undefined ? MISSING : classify(cur);
}

/** Longest value shown in a property cell. */
export const MAX_VALUE_CHARS = 60;
const COMPUTED_PLACEHOLDER = /^<computed:[^>]+>$/;

/** Compact one-line form of a value, at most MAX_VALUE_CHARS. Secrets never get past classify(). */
export function showValue(v: unknown): string {
  const text = render(v, MAX_VALUE_CHARS + 1);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

function render(raw: unknown, budget: number): string {
  const v = classify(raw);
  if (v instanceof Label) return v.text;
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return COMPUTED_PLACEHOLDER.test(v) ? v : JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const parts: string[] = [];
  let used = 2;
  const items: [string | undefined, unknown][] = Array.isArray(v)
    ? v.map((x) => [undefined, x])
    : Object.entries(v as Json).filter(([k]) => k !== '__defaults').map(([k, x]) => [k, x]);
  for (const [k, x] of items) {
    if (used > budget) {
      parts.push('…');
      break;
    }
    const part = `${k !== undefined ? `${/^[A-Za-z_$][\w$-]*$/.test(k) ? k : JSON.stringify(k)}: ` : ''}${render(x, budget - used)}`;
    parts.push(part);
    used += part.length + 2;
  }
  return Array.isArray(v) ? `[${parts.join(', ')}]` : `{${parts.join(', ')}}`;
}

// ---------------------------------------------------------------------------------------------------
// Markdown

/** The hidden line a CI job looks for to update its one comment instead of adding another. */
export const PREVIEW_MARKER = '<!-- slipway-preview -->';
/** GitHub refuses comments over 65,536 characters; stay clear of it. */
export const DEFAULT_MAX_CHARS = 60_000;
/** Rows in a stack's "replacements and deletions" table before the rest is counted. */
export const MAX_ATTENTION_ROWS = 30;
/** Type rows in a stack's grouped table. */
export const MAX_GROUP_ROWS = 20;
/** Names shown per type in the grouped table. */
const MAX_GROUP_NAMES = 4;
/** Properties shown per resource in the full list. */
export const MAX_PROPERTIES = 6;
const MAX_DIAGNOSTICS = 8;
const MAX_DIAGNOSTIC_LINES = 12;
const MAX_DIAGNOSTIC_CHARS = 1200;
const MAX_ERROR_LINES = 20;

export interface RenderOptions {
  /** Upper bound of the whole document; full lists are cut (with a count) to fit. */
  maxChars?: number;
  /** First heading; default "Infrastructure preview". */
  title?: string;
}

const OP_WORDS: Record<ChangeOp, { verb: string; past: string }> = {
  create: { verb: 'to create', past: 'created' },
  update: { verb: 'to update', past: 'updated' },
  replace: { verb: 'to replace', past: 'replaced' },
  delete: { verb: 'to delete', past: 'deleted' },
  import: { verb: 'to import', past: 'imported' },
};

/** The whole summary as one GitHub-flavoured Markdown comment, at most `maxChars` long. */
export function renderMarkdown(summary: PreviewSummary, opts: RenderOptions = {}): string {
  const maxChars = opts.maxChars ?? DEFAULT_MAX_CHARS;
  const head = [PREVIEW_MARKER, `## ${opts.title ?? 'Infrastructure preview'}`, ''];
  if (summary.stacks.length === 0) return [...head, 'No stacks were previewed.', ''].join('\n');
  head.push(...overviewTable(summary.stacks), '');
  const bodies = summary.stacks.map(stackBody);
  // Full lists share what the fixed parts leave, stack by stack; what a stack leaves over passes on.
  const closing = `</details>\n`;
  let fixed = head.join('\n').length;
  // Each stack's fixed text, its details wrapper and room for the "… and N more" line.
  for (const b of bodies) fixed += b.top.length + 1 + (b.rows.length > 0 ? b.detailsHead.length + closing.length + 200 : 0);
  let left = Math.max(0, maxChars - fixed);
  const out = [head.join('\n')];
  bodies.forEach((b, i) => {
    out.push(b.top);
    if (b.rows.length === 0) return;
    const share = Math.floor(left / bodies.slice(i).filter((x) => x.rows.length > 0).length);
    let used = 0;
    let shown = 0;
    const rows: string[] = [];
    for (const row of b.rows) {
      if (used + row.length + 1 > share) break;
      rows.push(row);
      used += row.length + 1;
      shown++;
    }
    left -= used;
    const cut = b.rows.length - shown;
    out.push(b.detailsHead + rows.join('\n') + '\n');
    if (cut > 0) out.push(`\n… and ${cut} more not shown here (comment size limit); \`slipway preview --json\` lists them all.\n`);
    out.push(closing);
  });
  return out.join('\n').replace(/\n{3,}/g, '\n\n');
}

function overviewTable(stacks: readonly StackPreview[]): string[] {
  const rows = [
    '| Stack | Create | Update | Replace | Delete | Unchanged | Notes |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const s of stacks) {
    const n = (k: string) => String(s.counts[k] ?? 0);
    const notes: string[] = [];
    if (s.error !== undefined) notes.push('❌ preview failed');
    const errors = s.diagnostics.filter((d) => d.severity === 'error').length;
    const warnings = s.diagnostics.length - errors;
    if (errors && s.error === undefined) notes.push(`❌ ${plural(errors, 'error')}`);
    if (warnings) notes.push(`${plural(warnings, 'warning')}`);
    const risky = s.changes.filter((c) => (c.op === 'replace' || c.op === 'delete') && c.risk).length;
    if (risky) notes.push(`⚠️ ${risky} risky ${risky === 1 ? 'replacement or deletion' : 'replacements or deletions'}`);
    if (s.kind === 'update') notes.push('already applied');
    if (notes.length === 0) notes.push(s.changes.length === 0 && s.error === undefined ? 'no changes' : '');
    const counts = s.error !== undefined && s.changes.length === 0 ? ['–', '–', '–', '–', '–'] : [n('create'), n('update'), n('replace'), n('delete'), n('same')];
    rows.push(`| ${code(s.stack, true)} | ${counts.join(' | ')} | ${notes.filter(Boolean).join('; ')} |`);
  }
  return rows;
}

interface StackBody {
  /** Heading, diagnostics, counts, attention table, grouped table. */
  top: string;
  detailsHead: string;
  /** Full list rows, each one line. */
  rows: string[];
}

function stackBody(s: StackPreview): StackBody {
  const lines: string[] = [`### ${code(s.stack)}`, ''];
  if (s.kind === 'update') lines.push('_From the log of an update: these changes have already been applied._', '');
  if (s.error !== undefined) {
    lines.push('**❌ The preview failed:**', '', ...fenced(capLines(s.error, MAX_ERROR_LINES)), '');
  }
  lines.push(...diagnosticsBlock(s.diagnostics));
  const words = (op: ChangeOp) => (s.kind === 'update' ? OP_WORDS[op].past : OP_WORDS[op].verb);
  const countLine = OP_ORDER.filter((op) => (s.counts[op] ?? 0) > 0).map((op) => `${s.counts[op]} ${words(op)}`);
  if (s.counts.same) countLine.push(`${s.counts.same} unchanged`);
  if (s.changes.length === 0) {
    if (s.error === undefined && s.diagnostics.some((d) => d.severity === 'error')) lines.push('No changes could be listed: see the errors above.', '');
    else if (s.error === undefined) lines.push(`No changes${s.counts.same ? ` (${s.counts.same} resources unchanged)` : ''}.`, '');
    return { top: lines.join('\n'), detailsHead: '', rows: [] };
  }
  lines.push(`**${countLine.join(' · ')}**`, '');

  const attention = s.changes.filter((c) => c.op === 'replace' || c.op === 'delete');
  if (attention.length > 0) {
    lines.push(`#### Replacements and deletions (${attention.length})`, '');
    lines.push('| | Resource | Type | Why it matters |', '| --- | --- | --- | --- |');
    for (const c of attention.slice(0, MAX_ATTENTION_ROWS)) {
      const why: string[] = [];
      if (c.risk) why.push(`**${c.risk.kind === 'traffic' ? 'carries traffic' : 'holds data'}**: ${c.risk.what}`);
      if (c.op === 'replace' && c.deleteBeforeReplace) why.push('deleted **before** its replacement exists');
      if (c.op === 'replace' && c.replaceReasons.length > 0) why.push(`forced by ${capList(c.replaceReasons.map((r) => code(r, true)), MAX_PROPERTIES)}`);
      const mark = c.risk ? '⚠️ ' : '';
      lines.push(`| ${mark}**${c.op}**${c.failed ? ' ❌' : ''} | ${code(c.name, true)} | ${code(c.shortType, true)} | ${why.join('; ') || '—'} |`);
    }
    if (attention.length > MAX_ATTENTION_ROWS) lines.push('', `… and ${attention.length - MAX_ATTENTION_ROWS} more replacements and deletions (full list below).`);
    lines.push('');
  }

  const rest = s.changes.filter((c) => c.op !== 'replace' && c.op !== 'delete');
  if (rest.length > 0) {
    lines.push(`#### Other changes by type (${rest.length})`, '');
    lines.push('| Type | Operation | Count | Resources |', '| --- | --- | ---: | --- |');
    const groups = new Map<string, ResourceChange[]>();
    for (const c of rest) groups.set(`${c.op}\u0000${c.shortType}`, [...(groups.get(`${c.op}\u0000${c.shortType}`) ?? []), c]);
    const sorted = [...groups.values()].sort((a, b) => b.length - a.length);
    for (const g of sorted.slice(0, MAX_GROUP_ROWS)) {
      const c = g[0]!;
      lines.push(`| ${code(c.shortType, true)} | ${c.op} | ${g.length} | ${capList(g.map((x) => code(x.name, true)), MAX_GROUP_NAMES)} |`);
    }
    if (sorted.length > MAX_GROUP_ROWS) {
      const hidden = sorted.slice(MAX_GROUP_ROWS).reduce((n, g) => n + g.length, 0);
      lines.push('', `… and ${hidden} more in ${sorted.length - MAX_GROUP_ROWS} other groups (full list below).`);
    }
    lines.push('');
  }

  const detailsHead = [
    `<details><summary>All ${plural(s.changes.length, 'change')} in ${escapeHtml(s.stack)}</summary>`,
    '',
    '| Operation | Resource | Type | Changed properties |',
    '| --- | --- | --- | --- |',
    '',
  ].join('\n');
  const rows = s.changes.map((c) => `| ${c.risk && (c.op === 'replace' || c.op === 'delete') ? '⚠️ ' : ''}${c.op}${c.failed ? ' ❌ failed' : ''} | ${code(c.name, true)} | ${code(c.shortType, true)} | ${propertiesCell(c)} |`);
  return { top: lines.join('\n'), detailsHead, rows };
}

function propertiesCell(c: ResourceChange): string {
  if (c.properties.length === 0) return c.op === 'create' || c.op === 'delete' ? '' : '—';
  const shown = c.properties.slice(0, MAX_PROPERTIES).map((p) => {
    const sign = p.kind.startsWith('add') ? '+' : p.kind.startsWith('delete') ? '−' : '~';
    let text = `${sign} ${code(p.path, true)}`;
    if (p.old !== undefined && p.new !== undefined) text += ` ${code(p.old, true)} → ${code(p.new, true)}`;
    else if (p.new !== undefined) text += ` ${code(p.new, true)}`;
    else if (p.old !== undefined) text += ` was ${code(p.old, true)}`;
    if (p.replaces) text += ' **(replaces)**';
    return text;
  });
  const more = c.properties.length - MAX_PROPERTIES;
  return shown.join('<br>') + (more > 0 ? `<br>+${more} more` : '');
}

function diagnosticsBlock(diags: readonly Diagnostic[]): string[] {
  const lines: string[] = [];
  for (const severity of ['error', 'warning'] as const) {
    const list = diags.filter((d) => d.severity === severity);
    if (list.length === 0) continue;
    lines.push(`**${severity === 'error' ? '❌ Errors' : '⚠️ Warnings'} (${list.length})**`, '');
    for (const d of list.slice(0, MAX_DIAGNOSTICS)) {
      if (d.resource) lines.push(`${code(d.resource)}:`, '');
      lines.push(...fenced(capLines(d.message, MAX_DIAGNOSTIC_LINES, MAX_DIAGNOSTIC_CHARS)), '');
    }
    if (list.length > MAX_DIAGNOSTICS) lines.push(`… and ${list.length - MAX_DIAGNOSTICS} more ${severity}s.`, '');
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------------
// Markdown escaping

/**
 * An inline code span that shows `text` literally: a fence longer than any backtick run inside, no
 * line breaks; in a table cell, pipes are escaped (GFM unescapes `\|` inside code spans in tables).
 */
export function code(text: string, inTable = false): string {
  let t = text.replace(/\r?\n/g, '⏎');
  if (inTable) t = t.replace(/\|/g, '\\|');
  const longest = Math.max(0, ...[...t.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = t.startsWith('`') || t.endsWith('`') || (t.startsWith(' ') && t.endsWith(' ') && t.trim() !== '') ? ' ' : '';
  return t === '' ? '` `' : `${fence}${pad}${t}${pad}${fence}`;
}

/** A fenced block that nothing inside can close. */
export function fenced(text: string): string[] {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return [`${fence}text`, text, fence];
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function capLines(text: string, maxLines: number, maxChars = Infinity): string {
  let lines = text.split('\n');
  let note = '';
  if (lines.length > maxLines) {
    note = `… (${lines.length - maxLines} more lines)`;
    lines = lines.slice(0, maxLines);
  }
  let out = lines.join('\n');
  if (out.length > maxChars) {
    out = `${out.slice(0, maxChars)}…`;
  }
  return note ? `${out}\n${note}` : out;
}

function capList(items: readonly string[], max: number): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** One line per stack for a terminal: `dev: 1 to replace, 2 to update, 40 unchanged (1 risky)`. */
export function renderText(summary: PreviewSummary): string[] {
  return summary.stacks.map((s) => {
    if (s.error !== undefined) return `${s.stack}: preview failed: ${s.error.split('\n')[0]}`;
    const parts = OP_ORDER.filter((op) => (s.counts[op] ?? 0) > 0).map((op) => `${s.counts[op]} ${s.kind === 'update' ? OP_WORDS[op].past : OP_WORDS[op].verb}`);
    if (s.counts.same) parts.push(`${s.counts.same} unchanged`);
    const risky = s.changes.filter((c) => (c.op === 'replace' || c.op === 'delete') && c.risk).length;
    const errors = s.diagnostics.filter((d) => d.severity === 'error').length;
    const notes = [risky ? `${risky} risky` : '', errors ? plural(errors, 'error') : ''].filter(Boolean);
    const changed = s.changes.length > 0 ? parts.join(', ') : `no changes${s.counts.same ? ` (${s.counts.same} unchanged)` : ''}`;
    return `${s.stack}: ${changed}${notes.length ? ` (${notes.join(', ')})` : ''}`;
  });
}
