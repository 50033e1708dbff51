// The engine port: the narrow interface the pipeline needs from Pulumi. One adapter implements it on
// the Automation API (pipeline/engine/automation.ts); tests use an in-memory double (test/support/).

/** Progress reported while an operation runs. */
export type EngineEvent =
  | { kind: 'resource'; op: string; urn: string; type: string; status: 'started' | 'done' | 'failed' }
  | { kind: 'diagnostic'; severity: 'info' | 'warning' | 'error'; message: string; urn?: string }
  | { kind: 'summary'; changes: Record<string, number> };

export interface OperationOptions {
  onEvent?: (event: EngineEvent) => void;
  signal?: AbortSignal;
  /** Shown in the stack's update history. */
  message?: string;
}

export interface ChangeSummary {
  /** Counts by operation (`create`, `update`, `replace`, `delete`, `same`, …). */
  changes: Record<string, number>;
}

/** One step of a preview with its detailed diff (for PR previews and drift). */
export interface PreviewStep {
  op: string;
  urn: string;
  type: string;
  /** Property paths that differ, with the kind of change (`update`, `add`, `delete`, `update-replace`…). */
  diff: Record<string, string>;
  replaceReasons?: string[];
  /** The resource's state before and after, when the engine reports them (values for the diff). */
  old?: { inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
  new?: { inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
}

export interface PreviewResult extends ChangeSummary {
  steps: PreviewStep[];
}

/** `up` limited or forced: what `pulumi up --target/--replace` do (URNs of the stack's resources). */
export interface UpOptions extends OperationOptions {
  /** Only these resources are updated; everything else keeps its state. */
  target?: string[];
  /** These resources are replaced (deleted and created again) even when nothing about them changed. */
  replace?: string[];
}

export interface UpResult extends ChangeSummary {
  outputs: Record<string, unknown>;
}

/** A selected stack. Config keys are full keys (`slipway:release`); values are plain JSON. */
export interface StackHandle {
  readonly name: string;
  getConfig(): Promise<Record<string, unknown>>;
  /** Writes config values; structured values are written as YAML structure, not JSON strings. */
  setConfig(values: Record<string, unknown>): Promise<void>;
  preview(opts?: OperationOptions): Promise<PreviewResult>;
  up(opts?: UpOptions): Promise<UpResult>;
  refresh(opts?: OperationOptions & { previewOnly?: boolean }): Promise<PreviewResult>;
  destroy(opts?: OperationOptions): Promise<ChangeSummary>;
  outputs(): Promise<Record<string, unknown>>;
  /** The state as `pulumi stack export` prints it; secrets stay encrypted (never `--show-secrets`). */
  exportState(): Promise<unknown>;
  /** Replaces the state with an exported one (`pulumi stack import`); secrets as exported. */
  importState(state: unknown): Promise<void>;
  /** Asks the engine to stop the running operation of this stack. */
  cancel(): Promise<void>;
  /** A stack tag's value in the backend (undefined when unset); the ledger anchors its head in one. */
  getTag(name: string): Promise<string | undefined>;
  setTag(name: string, value: string): Promise<void>;
}

export interface EnginePort {
  /** Selects a stack, creating it (from its stack file) when it does not exist yet. */
  selectStack(stack: string): Promise<StackHandle>;
  /** Selects a stack only if it exists (undefined otherwise); never creates one. */
  findStack(stack: string): Promise<StackHandle | undefined>;
}
