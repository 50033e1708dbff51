// CLI start-up benchmark: median wall time of `node bin/slipway.mjs --help`, `validate` and `schema`
// against a bare `node -e 0` on this machine, over N runs each. Prints one JSON line:
//   {"runs","node_ms","help_ms","validate_ms","schema_ms","help_x","validate_x","schema_x"}
// The *_x figures are multiples of the bare node start. Goal: at most 6 for --help and validate.
//
//   npm run bench:cli [-- N]      (default 9 runs, at most 100)
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function runs(): number {
  const raw = process.argv[2] ?? '9';
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new Error(`runs: "${raw}" is not a whole number from 1 to 100`);
  return n;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Median wall time of running `args` with node, output discarded. */
function time(args: string[], n: number): number {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    execFileSync(process.execPath, args, { cwd: root, stdio: 'ignore' });
    times.push(performance.now() - start);
  }
  return Math.round(median(times));
}

const n = runs();
const node = time(['-e', '0'], n);
const help = time(['bin/slipway.mjs', '--help'], n);
const validate = time(['bin/slipway.mjs', 'validate'], n);
const schema = time(['bin/slipway.mjs', 'schema'], n);
const x = (ms: number) => Math.round((ms / node) * 10) / 10;
console.log(JSON.stringify({ runs: n, node_ms: node, help_ms: help, validate_ms: validate, schema_ms: schema, help_x: x(help), validate_x: x(validate), schema_x: x(schema) }));
