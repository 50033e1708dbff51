// The child process of `plan --diff` (see planTrees in refDiff.ts): for each tree in turn, imports that
// tree's own planner and plans each stack asked for (or every one), then writes [{stacks, plans}, …] to
// a file (stdout may carry the SDK's log lines), secrets as digests. The trees share node_modules, so
// the SDK loads once; each tree runs its own program. Older trees keep the planner at pipeline/plan.ts.
//
//   node --import tsx planChild.ts OUT_FILE WANTED_JSON ROOT…
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { digestSecrets } from './values';

const PLANNER_PATHS = ['pipeline/review/plan.ts', 'pipeline/plan.ts'];

interface TreeModules {
  planStack: (stack: string, opts: { root: string }) => Promise<unknown>;
  listStacks: (root: string) => string[];
}

async function load(root: string): Promise<TreeModules> {
  const planner = PLANNER_PATHS.map((p) => join(root, p)).find((p) => existsSync(p));
  const { planStack } = planner ? ((await import(pathToFileURL(planner).href)) as Partial<TreeModules>) : {};
  const { listStacks } = (await import(pathToFileURL(join(root, 'stacks/load.ts')).href)) as Partial<TreeModules>;
  if (typeof planStack !== 'function' || typeof listStacks !== 'function') {
    throw new Error(`${root}: no planStack in ${PLANNER_PATHS.join(' or ')} (or no listStacks in stacks/load.ts): the tree predates the offline planner`);
  }
  return { planStack, listStacks };
}

const [outFile, wantedJson, ...roots] = process.argv.slice(2);
const wanted = JSON.parse(wantedJson ?? '[]') as string[];
const trees: { stacks: string[]; plans: Record<string, unknown> }[] = [];
for (const root of roots) {
  const { planStack, listStacks } = await load(root);
  const stacks = listStacks(root);
  const plans: Record<string, unknown> = {};
  for (const s of stacks.filter((s) => wanted.length === 0 || wanted.includes(s))) {
    try {
      plans[s] = await planStack(s, { root });
    } catch (e) {
      plans[s] = { ok: false, errors: [String(e instanceof Error ? e.message : e).split('\n')[0]] };
    }
  }
  trees.push({ stacks, plans });
}
// Secrets leave this process as digests: compared all the same, never on disk in plain text.
const sha256 = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;
writeFileSync(outFile!, JSON.stringify(digestSecrets(trees, sha256)));
