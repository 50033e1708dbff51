// The ledger on the real engine: two deployments of the local stack anchor the ledger's head as a tag
// of the stack in the Pulumi file backend, and `slipway ledger verify` then fails a ledger whose newest
// deployment was cut off (which the hash chain alone accepts), and one rewritten from an edit on with
// every later hash recomputed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { entryHash, GENESIS, type LedgerEntry } from '../../pipeline/ledger/events';
import { engineProject, type EngineProject } from './project';

let p: EngineProject;
const deployArgs = (version: string) => ['deploy', '--stack', 'local', '--build', 'app', '--base-image', p.baseImage, '--app-version', version];
const file = () => join(p.dir, '.slipway', 'ledger', 'local.jsonl');
const entries = () => readFileSync(file(), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as LedgerEntry);
const write = (list: LedgerEntry[]) => writeFileSync(file(), `${list.map((e) => JSON.stringify(e)).join('\n')}\n`);

beforeAll(async () => {
  p = await engineProject('ledger');
});
afterAll(async () => {
  await p?.cleanup();
});

describe.sequential('the ledger anchored in the stack (real engine, local stack)', () => {
  let whole: LedgerEntry[];

  it('two deployments: verify passes, the head anchored as a stack tag in the file backend', async () => {
    for (const version of ['1.0.0', '2.0.0']) {
      const r = await p.slipway(deployArgs(version));
      expect(r.exitCode, r.all).toBe(0);
    }
    whole = entries();
    const head = whole.at(-1)!;
    expect(head).toMatchObject({ type: 'finished' });
    const v = await p.slipway(['ledger', 'verify']);
    expect(v.exitCode, v.all).toBe(0);
    expect(v.stdout).toBe(`ok .slipway/ledger/local.jsonl: ${whole.length} entries, head ${head.hash}, anchored`);
    // The anchor lives in the backend, beside the state, not in the ledger folder.
    const tags = readFileSync(join(p.dir, '.slipway', 'state', '.pulumi', 'stacks', 'slipway', 'local.pulumi-tags'), 'utf8');
    expect(tags).toContain(`${head.seq} ${head.hash}`);
  });

  it("fails, naming why, when the newest deployment's entries are cut off", async () => {
    const newest = whole.at(-1)!.deploymentId;
    const cut = whole.filter((e) => e.deploymentId !== newest);
    expect(cut.length).toBeLessThan(whole.length);
    write(cut);
    // The chain alone is intact: only the anchor tells.
    const chainOnly = await p.slipway(['ledger', 'verify', '--no-anchor']);
    expect(chainOnly.exitCode, chainOnly.all).toBe(0);
    const v = await p.slipway(['ledger', 'verify']);
    expect(v.exitCode, v.all).toBe(1);
    const n = whole.length - cut.length;
    expect(v.stderr).toContain(
      `.slipway/ledger/local.jsonl: ${n} entries cut off the end: the ledger ends at seq ${cut.length}, but stack tag slipway:ledger-head of stack local records seq ${whole.length} (${whole.at(-1)!.hash})`,
    );
    // Nor will a deployment continue from the shortened copy.
    const d = await p.slipway(deployArgs('3.0.0'));
    expect(d.exitCode, d.all).toBe(1);
    expect(d.all).toContain(`ends at seq ${cut.length}, but stack tag slipway:ledger-head of stack local records seq ${whole.length}: entries are missing`);
  });

  it('fails when the ledger is rewritten from an edit on, every later hash recomputed', async () => {
    let prev = GENESIS;
    const rewritten = whole.map((e, i) => {
      const { hash: _h, ...rest } = { ...e, prev, ...(i === 0 ? { data: { ...e.data, actor: 'mallory' } } : {}) } as LedgerEntry;
      const hash = entryHash(rest as unknown as Record<string, unknown>);
      prev = hash;
      return { ...rest, hash } as LedgerEntry;
    });
    write(rewritten);
    expect((await p.slipway(['ledger', 'verify', '--no-anchor'])).exitCode).toBe(0);
    const v = await p.slipway(['ledger', 'verify']);
    expect(v.exitCode, v.all).toBe(1);
    expect(v.stderr).toContain(`but stack tag slipway:ledger-head of stack local records ${whole.at(-1)!.hash} (rewritten from here or before)`);
    // Restored, it verifies again.
    write(whole);
    expect((await p.slipway(['ledger', 'verify'])).exitCode).toBe(0);
  });
});
