// In-memory double of the engine port (pipeline/engine/port.ts). It keeps each stack's config, "applies" it
// on up() by recording what every slot runs and where the URLs route, and can be told to fail.
// Test-only: the product talks to Pulumi through pipeline/engine/automation.ts.
import type { EngineEvent, EnginePort, OperationOptions, PreviewResult, PreviewStep, StackHandle, UpResult } from '../../pipeline/engine/port';
import { LockHeld } from '../../pipeline/cli/errors';
import { recordedConfig } from '../../stacks/appEnv';
import { configHash, validateStackConfig } from '../../stacks/validate';
import { alarmSpecs } from '../../components/aws/slot';
import { environmentNames } from '../../components/naming';
import { idleSlotOf } from '../../components/slots';
import type { SlipwayConfig, Slot } from '../../stacks/schema';
import { rawStack } from '../mocks';

export interface AppliedState {
  live: Slot;
  /** Version each slot runs (undefined: nothing). */
  versions: Record<Slot, string | undefined>;
  /** Id of the app configuration each slot runs, as its release records it. */
  configs: Record<Slot, string>;
  /** The configuration the last `up` applied. */
  config: SlipwayConfig;
}

/**
 * The stack outputs the program exports (components/program.ts StackOutputs) for an applied
 * configuration, with this double's URLs; test/engine-double-contract.test.ts holds it to the
 * program's own outputs.
 */
export function stackOutputsOf(config: SlipwayConfig, stack: string, urls: { publicUrl: string; testUrl: string }, region = 'us-east-1'): Record<string, unknown> {
  const r = config.release;
  const names = environmentNames({ app: config.app.name, stack });
  const alarms = (slot: Slot) => (config.target === 'aws' ? alarmSpecs(config.alarms).map((a) => names.alarm(slot, a.key)) : []);
  return {
    target: config.target,
    liveSlot: r.live,
    idleSlot: idleSlotOf(r.live),
    ...urls,
    blueArtifact: r.blue.image ?? '',
    blueVersion: r.blue.version ?? '',
    greenArtifact: r.green.image ?? '',
    greenVersion: r.green.version ?? '',
    configHash: configHash(config),
    alarmNames: { blue: alarms('blue'), green: alarms('green') },
    repositoryUrl: config.target === 'aws' ? `123456789012.dkr.ecr.${region}.amazonaws.com/${names.repository}` : '',
  };
}

export interface StackDouble {
  config: Record<string, unknown>;
  applied?: AppliedState;
  ups: { message?: string; config: Record<string, unknown> }[];
  /** Set to make the next up() throw this error (then cleared). */
  failNextUp?: Error;
  /** Makes every up() matching the predicate throw. */
  failUpWhen?: (message: string | undefined) => Error | undefined;
  /** Simulates Pulumi's stack lock being held by someone else. */
  locked?: boolean;
  state: unknown;
  /** What preview() returns (default: nothing to change). */
  previewResult?: PreviewResult;
  /** Events preview() reports through onEvent before it returns or fails (diagnostics, progress). */
  previewEvents?: EngineEvent[];
  /** Makes every preview() throw this error (after reporting previewEvents). */
  failPreview?: Error;
  /** How many times preview() ran. */
  previews?: number;
  /** Steps refresh() reports, as Pulumi's refresh does for drift (default: none). */
  refreshSteps?: PreviewStep[];
  /** Options of every refresh() call, in order. */
  refreshes?: { previewOnly?: boolean }[];
  /** Stack tags (the ledger's anchor is one). */
  tags?: Record<string, string>;
}

export class EngineDouble implements EnginePort {
  readonly stacks = new Map<string, StackDouble>();
  selects = 0;

  constructor(private readonly urls = (stack: string) => ({ publicUrl: `http://${stack}.public`, testUrl: `http://${stack}.test` })) {}

  /** Seeds a stack from its shipped stack file, optionally edited. */
  seed(stack: string, edit?: (raw: Record<string, any>) => void, from = stack): StackDouble {
    const raw = rawStack(from);
    edit?.(raw);
    const s: StackDouble = { config: raw, ups: [], state: { version: 3, deployment: { resources: [] } } };
    this.stacks.set(stack, s);
    return s;
  }

  async findStack(name: string): Promise<StackHandle | undefined> {
    return this.stacks.has(name) ? this.selectStack(name) : undefined;
  }

  async selectStack(name: string): Promise<StackHandle> {
    this.selects++;
    const s = this.stacks.get(name) ?? this.seed(name);
    const urls = this.urls(name);
    const outputs = (): Record<string, unknown> => (s.applied ? stackOutputsOf(s.applied.config, name, urls, String(s.config['aws:region'] ?? 'us-east-1')) : {});
    return {
      name,
      getConfig: async () => structuredClone(s.config),
      setConfig: async (values) => {
        if (s.locked) throw new LockHeld(`stack ${name} is locked by another update in progress`);
        Object.assign(s.config, structuredClone(values));
      },
      preview: async (opts: OperationOptions = {}): Promise<PreviewResult> => {
        s.previews = (s.previews ?? 0) + 1;
        for (const e of s.previewEvents ?? []) opts.onEvent?.(e);
        if (s.failPreview) throw s.failPreview;
        return structuredClone(s.previewResult ?? { changes: { same: 1 }, steps: [] });
      },
      up: async (opts: OperationOptions = {}): Promise<UpResult> => {
        if (s.locked) throw new LockHeld(`stack ${name} is locked by another update in progress`);
        if (opts.signal?.aborted) throw opts.signal.reason;
        const failure = s.failNextUp ?? s.failUpWhen?.(opts.message);
        s.failNextUp = undefined;
        if (failure) throw failure;
        const config = validated(name, s.config);
        s.ups.push({ message: opts.message, config: structuredClone(s.config) });
        const before = JSON.stringify(s.applied);
        s.applied = {
          live: config.release.live,
          versions: { blue: config.release.blue.version, green: config.release.green.version },
          configs: { blue: recordedConfig(config.release.blue), green: recordedConfig(config.release.green) },
          config,
        };
        return { changes: before === JSON.stringify(s.applied) ? { same: 10 } : { update: 1, same: 9 }, outputs: outputs() };
      },
      refresh: async (opts: { previewOnly?: boolean } = {}): Promise<PreviewResult> => {
        (s.refreshes ??= []).push({ previewOnly: opts.previewOnly });
        const steps = structuredClone(s.refreshSteps ?? []);
        return { changes: steps.length > 0 ? { update: steps.length, same: 1 } : { same: 1 }, steps };
      },
      destroy: async () => {
        s.applied = undefined;
        return { changes: { delete: 10 } };
      },
      outputs: async () => outputs(),
      exportState: async () => structuredClone(s.state),
      importState: async (state) => {
        s.state = structuredClone(state);
      },
      cancel: async () => {},
      getTag: async (tag) => s.tags?.[tag],
      setTag: async (tag, value) => {
        (s.tags ??= {})[tag] = value;
      },
    };
  }
}

function validated(stack: string, raw: Record<string, unknown>): SlipwayConfig {
  // Values as the engine hands them over: secrets decrypted.
  const v = validateStackConfig(raw, { stack, file: `stacks/Pulumi.${stack}.yaml`, decrypted: true });
  if (!v.ok) throw new Error(v.errors.join('\n'));
  return v.config;
}
