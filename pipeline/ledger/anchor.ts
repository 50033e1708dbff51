// The ledger's anchor: its head — the seq and hash of its last anchored entry — recorded outside the
// ledger file, as the stack tag `slipway:ledger-head` in the stack's Pulumi backend (beside its state:
// the file backend's directory, S3, or Pulumi Cloud). The ledger file itself is kept with the release
// state (the deploy workflow commits it); so cutting entries off its end, or rewriting it from an edit
// on and recomputing every later hash, no longer matches the anchor, and `slipway ledger verify` fails.
// Someone who can write both the ledger file and the stack's tags can still forge a consistent pair.
import { CheckFailed } from '../cli/errors';
import type { EnginePort } from '../engine/port';
import type { AnchorHead } from './chain';
import type { EventType } from './events';

export const ANCHOR_TAG = 'slipway:ledger-head';

/**
 * Events after which the head is anchored: the last event of every command (a finished, failed,
 * rolled-back or rejected deployment, one stopping at its gate, a rebuild or drill that passed).
 * Steps in between are covered by the next anchor; a run killed mid-way leaves them unanchored until
 * then (verify says how many).
 */
export const ANCHORED_EVENTS: ReadonlySet<EventType> = new Set<EventType>(['gate', 'finished', 'failed', 'rolled-back', 'rejected', 'recovered']);

/** Where a ledger's head is recorded, read back and written. */
export interface LedgerAnchor {
  /** The recorded head, or null when none is. */
  read(stack: string): Promise<AnchorHead | null>;
  write(stack: string, head: AnchorHead): Promise<void>;
  /** For messages: `stack tag slipway:ledger-head of stack prod`. */
  where(stack: string): string;
}

export function formatAnchor(head: AnchorHead): string {
  return `${head.seq} ${head.hash}`;
}

export function parseAnchor(value: string): AnchorHead | undefined {
  const m = /^(\d{1,15}) (sha256:[0-9a-f]{64})$/.exec(value.trim());
  return m ? { seq: Number(m[1]), hash: m[2]! } : undefined;
}

/** The anchor as a tag of the stack, through the engine port. */
export function stackTagAnchor(engine: EnginePort): LedgerAnchor {
  const where = (stack: string) => `stack tag ${ANCHOR_TAG} of stack ${stack}`;
  return {
    where,
    async read(stack) {
      // Reading never creates the stack: one that does not exist records no head.
      const handle = await engine.findStack(stack);
      const value = await handle?.getTag(ANCHOR_TAG);
      if (value === undefined) return null;
      const head = parseAnchor(value);
      if (!head) throw new CheckFailed(`${where(stack)}: ${JSON.stringify(value.slice(0, 100))} is not a ledger head (<seq> sha256:<64 hex>)`);
      return head;
    },
    async write(stack, head) {
      await (await engine.selectStack(stack)).setTag(ANCHOR_TAG, formatAnchor(head));
    },
  };
}

/** An anchor in memory, for tests and for tools that carry the head elsewhere. */
export function memoryAnchor(heads = new Map<string, AnchorHead>()): LedgerAnchor & { heads: Map<string, AnchorHead> } {
  return {
    heads,
    where: (stack) => `the anchor of stack ${stack}`,
    read: async (stack) => heads.get(stack) ?? null,
    write: async (stack, head) => {
      heads.set(stack, head);
    },
  };
}
