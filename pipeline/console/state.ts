// What the console's pages show about the stacks, read from the same files the CLI reads — stack files,
// ledgers, deployment locks — and kept in memory until a file changes (checked with one stat per file
// per request), so a page does not re-read and re-fold a 1,000-entry ledger it has already read.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { listStacks, loadStackFile, stackFile } from '../../stacks/load';
import type { SlipwayConfig, Slot } from '../../stacks/schema';
import { SLOTS } from '../../stacks/schema';
import { digestOf } from '../../components/slots';
import { firstLine } from '../cli/errors';
import { currentLive, deployments, type DeploymentSummary, type LiveRelease } from '../ledger/derive';
import type { LedgerEntry } from '../ledger/events';
import { Ledger } from '../ledger/store';
import { deploymentLockDir } from '../release/context';
import { deploymentLockFile, liveHolder, type LockOwner } from '../release/lock';
import { knownUrls, type StackUrls } from '../release/urls';
import { checksFile, readLastChecks, type LastChecks } from '../review/lastChecks';

/** A ledger as the pages use it: every deployment folded once, newest last. */
export interface LedgerView {
  entries: number;
  deployments: DeploymentSummary[];
  live: LiveRelease | undefined;
  byId: Map<string, DeploymentSummary>;
}

export interface SlotView {
  version: string | null;
  image: string | null;
  digest: string | null;
}

export interface StackOverview {
  stack: string;
  /** Why the stack file cannot be read; the rest is then absent. */
  error?: string;
  config?: SlipwayConfig;
  target?: string;
  approval?: 'auto' | 'manual';
  approvers: string[];
  live?: Slot;
  slots?: Record<Slot, SlotView>;
  urls: StackUrls;
  ledger: LedgerView;
  /** The newest deployment or rollback (not rebuilds or drills). */
  last?: DeploymentSummary;
  pending: DeploymentSummary[];
  /** An unfinished deployment nobody is running: the same deploy again resumes it. */
  interrupted?: DeploymentSummary;
  /** The last `slipway parity` and `slipway drift` results for the stack. */
  checks: LastChecks;
  /** Who holds the stack's deployment lock now (a CLI run or a console job). */
  lock?: Partial<LockOwner>;
}

type Stamp = string;

/** Values computed from a file, recomputed only when its size, mtime or inode changes. */
class FileCache<T> {
  private readonly entries = new Map<string, { stamp: Stamp; value: Promise<T> }>();

  async get(file: string, load: () => Promise<T>): Promise<T> {
    const stamp = await stampOf(file);
    const hit = this.entries.get(file);
    if (hit && hit.stamp === stamp) return hit.value;
    const value = load();
    this.entries.set(file, { stamp, value });
    value.catch(() => this.entries.delete(file));
    return value;
  }
}

async function stampOf(file: string): Promise<Stamp> {
  try {
    const s = await stat(file, { bigint: true });
    return `${s.ino}:${s.size}:${s.mtimeNs}`;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw e;
  }
}

export function viewOf(entries: readonly LedgerEntry[]): LedgerView {
  const all = deployments(entries);
  return { entries: entries.length, deployments: all, live: currentLive(entries), byId: new Map(all.map((d) => [d.id, d])) };
}

export class ConsoleState {
  readonly cwd: string;
  readonly ledger: Ledger;
  readonly lockDir: string;
  private readonly ledgers = new FileCache<LedgerView>();
  private readonly checks = new FileCache<LastChecks>();
  private readonly configs = new FileCache<{ ok: true; config: SlipwayConfig } | { ok: false; errors: string[] }>();
  /** URLs learnt from jobs' outcomes (AWS stacks: the engine's outputs), by stack. */
  private readonly learnt = new Map<string, StackUrls>();

  constructor(cwd: string, ledgerDir: string) {
    this.cwd = cwd;
    this.ledger = new Ledger(ledgerDir);
    this.lockDir = deploymentLockDir(ledgerDir);
  }

  stacks(): string[] {
    return listStacks(this.cwd);
  }

  async config(stack: string) {
    return this.configs.get(stackFile(stack, this.cwd), async () => loadStackFile(stack, this.cwd));
  }

  async ledgerView(stack: string): Promise<LedgerView> {
    return this.ledgers.get(this.ledger.file(stack), async () => viewOf(await this.ledger.read(stack)));
  }

  lockHolder(stack: string): Partial<LockOwner> | undefined {
    return liveHolder(deploymentLockFile(this.lockDir, stack)) as Partial<LockOwner> | undefined;
  }

  learnUrls(stack: string, urls: Partial<StackUrls>): void {
    if (urls.publicUrl || urls.testUrl) this.learnt.set(stack, { publicUrl: urls.publicUrl ?? null, testUrl: urls.testUrl ?? null });
  }

  async overview(stack: string): Promise<StackOverview> {
    const [loaded, ledger, checks] = await Promise.all([
      this.config(stack),
      this.ledgerView(stack),
      this.checks.get(checksFile(this.cwd, stack), async () => readLastChecks(this.cwd, stack)),
    ]);
    const lock = this.lockHolder(stack);
    const last = ledger.deployments.filter((d) => d.kind === 'deploy' || d.kind === 'rollback').at(-1);
    const open = ledger.deployments.filter((d) => d.kind === 'deploy' && d.status === 'running').at(-1);
    const base = {
      stack,
      approvers: [] as string[],
      ledger,
      pending: ledger.deployments.filter((d) => d.status === 'awaiting-approval'),
      checks,
      ...(last ? { last } : {}),
      ...(open && !lock ? { interrupted: open } : {}),
      ...(lock ? { lock } : {}),
    };
    if (!loaded.ok) return { ...base, error: loaded.errors[0] ?? 'invalid stack file', urls: { publicUrl: null, testUrl: null } };
    const c = loaded.config;
    const known = knownUrls(c);
    return {
      ...base,
      config: c,
      target: c.target,
      approval: c.promotion.approval,
      approvers: c.promotion.approvers,
      live: c.release.live,
      slots: Object.fromEntries(
        SLOTS.map((s) => {
          const r = c.release[s];
          return [s, { version: r.version ?? null, image: r.image ?? null, digest: r.image ? digestOf(r.image) : null }];
        }),
      ) as Record<Slot, SlotView>,
      urls: known.publicUrl ? known : (this.learnt.get(stack) ?? known),
    };
  }

  /** Every stack's overview; a stack whose files cannot be read shows why instead. */
  async overviews(): Promise<StackOverview[]> {
    return Promise.all(
      this.stacks().map((s) =>
        this.overview(s).catch((e: unknown): StackOverview => ({
          stack: s, error: firstLine(e), approvers: [], urls: { publicUrl: null, testUrl: null }, pending: [], checks: {},
          ledger: { entries: 0, deployments: [], live: undefined, byId: new Map() },
        })),
      ),
    );
  }
}

/** The console's own files (jobs, their logs): `.slipway/console` under the project. */
export function defaultStateDir(cwd: string): string {
  return join(cwd, '.slipway', 'console');
}
