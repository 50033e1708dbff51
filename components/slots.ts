// Blue-green slot logic: which slot is idle, where traffic goes, what each slot runs. Pure.
import { SLOTS, type Slot, type SlipwayConfig } from '../stacks/schema';

export function idleSlotOf(live: Slot): Slot {
  return live === 'blue' ? 'green' : 'blue';
}

/** Production traffic weights: all to the live slot, none to the idle one. Always sums to 100. */
export function productionWeights(live: Slot): Record<Slot, number> {
  return { blue: live === 'blue' ? 100 : 0, green: live === 'green' ? 100 : 0 };
}

export interface SlotSpec {
  slot: Slot;
  /** Image pinned by digest, or undefined when the slot has no release. */
  image?: string;
  version?: string;
  /** Whether the slot runs anything: a slot without a release runs no tasks or containers. */
  running: boolean;
}

export function slotSpec(config: SlipwayConfig, slot: Slot): SlotSpec {
  const r = config.release[slot];
  return r.image && r.version
    ? { slot, image: r.image, version: r.version, running: true }
    : { slot, running: false };
}

export function slotSpecs(config: SlipwayConfig): Record<Slot, SlotSpec> {
  return Object.fromEntries(SLOTS.map((s) => [s, slotSpec(config, s)])) as Record<Slot, SlotSpec>;
}

/** `repo@sha256:abc…` -> `sha256:abc…` */
export function digestOf(image: string): string {
  const at = image.lastIndexOf('@');
  return image.slice(at + 1);
}
