// The deployment ledger, one module per concern: events.ts (what is recorded, the hash chain, the
// shape of each event), store.ts (the file per stack: append, read), chain.ts (verification, against
// the anchored head too), anchor.ts (the head recorded outside the file), derive.ts (what the history
// means: deployments, what is live, what waits for approval). This file re-exports them all.
export * from './events';
export * from './store';
export * from './chain';
export * from './anchor';
export * from './derive';
