// The child process of the deploy page's plan (releasePlan.ts): plans one stack twice under the SDK's
// mocks — as its stack file is, and with the release that would be deployed — and writes both results
// to a file (stdout may carry the SDK's log lines), secrets as digests. A child, because the mock
// runtime and the module cache are process-global and the console must stay clean of both.
//
//   node --import tsx releasePlanChild.ts OUT_FILE ROOT STACK RELEASE_JSON
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { readStackConfig } from '../../stacks/load';
import { planStack, type PlanResult } from '../review/plan';
import { digestSecrets } from '../review/values';

const [outFile, root, stack, releaseJson] = process.argv.slice(2) as [string, string, string, string];
const raw = readStackConfig(stack, root);
let results: PlanResult[];
if (typeof raw === 'string') {
  results = [{ ok: false, errors: [raw] }];
} else {
  const before = await planStack(stack, { root, config: raw });
  const after = await planStack(stack, { root, config: { ...raw, 'slipway:release': JSON.parse(releaseJson) as unknown } });
  results = [before, after];
}
const sha256 = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;
writeFileSync(outFile, JSON.stringify(digestSecrets(results, sha256)));
