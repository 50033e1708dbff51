#!/usr/bin/env node
// The `slipway` executable: lets Node load the TypeScript sources through tsx (no build step), then
// hands the arguments to pipeline/cli/main.ts and exits with the code it returns.
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../pipeline/cli/main.ts');
process.exitCode = await run(process.argv.slice(2));
