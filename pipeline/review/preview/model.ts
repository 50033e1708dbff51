// The shapes previews pass around: what the readers reduce every input to (ParsedPreview), and the
// summary that `--json` prints and the Markdown is rendered from (StackPreview).

/** What happens to a resource, once the engine's replacement steps are folded into one. */
export type ChangeOp = 'create' | 'update' | 'replace' | 'delete' | 'import';

/** Order of the sections: what can hurt first. */
export const OP_ORDER: ChangeOp[] = ['replace', 'delete', 'create', 'update', 'import'];

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
