// `npm run engine:build`: builds the Pulumi CLI from Go modules into .slipway/pulumi/bin (see
// pipeline/engine/build.ts). Prints one JSON line with what it built or found; progress goes to stderr.
import { fileURLToPath } from 'node:url';
import { firstLine } from '../pipeline/cli/errors';
import { runEngineBuild } from '../pipeline/engine/build';

const root = fileURLToPath(new URL('..', import.meta.url));
try {
  const result = await runEngineBuild(root, (line) => console.error(`engine:build: ${line}`));
  console.log(JSON.stringify(result));
} catch (e) {
  console.error(`engine:build: ${firstLine(e)}`);
  process.exitCode = 1;
}
