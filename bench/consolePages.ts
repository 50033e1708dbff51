// Console page render times with 1,000 ledger entries per stack (every shipped stack), through
// fastify.inject (the whole request: session, routing, reading, rendering; no socket). Per page: the
// first request after start (ledgers read and folded), the median and worst of N more (cached), and the
// median when the ledger grows by one entry before each request (read and folded again). One JSON line:
//   {"entries_per_stack","stacks","runs","pages":{"/":{"first_ms","median_ms","max_ms","changed_median_ms"},…}}
// Goal: every page within 200 ms.
//
//   npm run bench:console-pages [-- N]      (default 50 runs, at most 1000)
import { appendFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { entryHash, type LedgerEntry, type LedgerEvent } from '../pipeline/ledger/events';
import { ev, started, step } from '../test/ledger/fixtures';
import { Client, testConsole, testProject, writeLedger } from '../test/console/support';

const ENTRIES = 1000;
const raw = process.argv[2] ?? '50';
const runs = Number(raw);
if (!Number.isInteger(runs) || runs < 1 || runs > 1000) throw new Error(`runs: "${raw}" is not a whole number from 1 to 1000`);

/** A realistic ledger: deployments of 8 entries (started, 5 steps, switched, finished), some gated. */
function history(n: number): LedgerEvent[] {
  const events: LedgerEvent[] = [];
  for (let i = 0; events.length < n; i++) {
    const id = `d-${String(i).padStart(5, '0')}`;
    const [from, to] = i % 2 === 0 ? (['blue', 'green'] as const) : (['green', 'blue'] as const);
    events.push(started(id, { version: `1.${i}.0`, slot: to, from, actor: i % 3 === 0 ? 'alice' : 'ci' }));
    for (const s of ['ensure-environment', 'deploy-idle', 'wait-healthy', 'smoke-idle']) events.push(step(id, s));
    if (i % 5 === 0) events.push(ev.gate(id, ['alice', 'bob']), ev.approved(id, 'bob'));
    events.push(ev.switched(id, from, to), step(id, 'verify'), ev.finished(id, to));
  }
  return events.slice(0, n);
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const project = testProject();
const stacks = ['dev', 'local', 'prod', 'staging'];
const ledgers = Object.fromEntries(stacks.map((s) => [s, history(ENTRIES)]));
for (const [s, events] of Object.entries(ledgers)) writeLedger(project.ledgerDir, s, events);
const t = await testConsole({ project });
const c = await new Client(t.app).signIn('alice');
const last = ledgers.prod!.filter((e) => e.type === 'started').at(-1)!.deploymentId;
const pages = ['/', '/stacks/prod/history', `/stacks/prod/deployments/${last}`, '/deploy', '/stacks/prod/rollback'];

/** Appends one entry to prod's ledger, chained, so the next request must read it again. */
let seq = ENTRIES;
let prev = '';
const grow = () => {
  const entry = { seq: ++seq, at: new Date().toISOString(), stack: 'prod', deploymentId: `d-extra-${seq}`, type: 'failed', data: { reason: 'bench' }, prev } as Omit<LedgerEntry, 'hash'>;
  appendFileSync(join(project.ledgerDir, 'prod.jsonl'), `${JSON.stringify({ ...entry, hash: entryHash(entry) })}\n`);
  prev = entryHash(entry);
};

const time = async (url: string) => {
  const start = performance.now();
  const res = await c.get(url);
  const ms = performance.now() - start;
  if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body.slice(0, 200)}`);
  return ms;
};

const result: Record<string, { first_ms: number; median_ms: number; max_ms: number; changed_median_ms: number }> = {};
for (const url of pages) {
  const first = await time(url);
  const warm: number[] = [];
  for (let i = 0; i < runs; i++) warm.push(await time(url));
  const changed: number[] = [];
  for (let i = 0; i < runs; i++) {
    grow();
    changed.push(await time(url));
  }
  const r = (x: number) => Math.round(x * 10) / 10;
  result[url.replace(/d-\d+$/, ':id')] = { first_ms: r(first), median_ms: r(median(warm)), max_ms: r(Math.max(...warm)), changed_median_ms: r(median(changed)) };
}
await t.close();
rmSync(project.dir, { recursive: true, force: true });
console.log(JSON.stringify({ entries_per_stack: ENTRIES, stacks: stacks.length, runs, pages: result }));
