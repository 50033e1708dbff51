// Reading what Pulumi says it would change: the engine port's result, a saved `pulumi preview --json`
// digest, or an engine event log (told apart by shape), each reduced to one ParsedPreview.
import type { EngineEvent, PreviewResult } from '../../engine/port';
import { UserError } from '../../cli/errors';
import { diagnostic } from './diagnostics';
import { isObject, stackOf, str, strings, type Json } from '../values';
import type { Diagnostic, ParsedPreview, RawStep, StateLike } from './model';

/** The keys of an engine event that say which kind it is (apitype.EngineEvent). */
const EVENT_KEYS = [
  'cancelEvent', 'stdoutEvent', 'diagnosticEvent', 'preludeEvent', 'summaryEvent', 'resourcePreEvent',
  'resOutputsEvent', 'resOpFailedEvent', 'policyEvent', 'policyRemediationEvent', 'policyLoadEvent',
  'policyAnalyzeSummaryEvent', 'policyRemediateSummaryEvent', 'policyAnalyzeStackSummaryEvent',
  'startDebuggingEvent', 'progressEvent', 'errorEvent',
] as const;
const DIGEST_KEYS = ['steps', 'changeSummary', 'diagnostics', 'duration', 'config', 'maybeCorrupt'] as const;

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

function counts(v: unknown): Record<string, number> | undefined {
  if (!isObject(v)) return undefined;
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(v)) if (typeof n === 'number' && Number.isFinite(n)) out[k] = n;
  return Object.keys(out).length > 0 ? out : undefined;
}
