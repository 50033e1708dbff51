// Switch benchmark: a real HAProxy on 127.0.0.1 in front of two real HTTP slots, rendered by the
// router's own config functions, under continuous keep-alive load from a client that never retries
// (an API client, a POST), switched blue -> green (a switch) and back (a rollback) N times by changing
// the routes map through the runtime API, as the RouterConfig resource does, with at least
// MIN_REQUESTS requests over the switches. Prints one JSON line:
//   {"router","requests","failed","reset_connections","switches","switch_ms_p50","switch_ms_max",
//    "rollback_ms","rollback_ms_max","apply_ms_p50","pipeline_rollback_ms"}
// failed: requests that got no 2xx; reset_connections: those of them whose kept-alive connection was
// reset before any answer. switch_ms: from sending the routing change to the first response served by
// the new slot (p50 and worst); rollback_ms: the same for the switch back. apply_ms: the runtime API's
// round trip. pipeline_rollback_ms: wall time of `slipway rollback` through the whole pipeline on the
// real engine (p50 of PIPELINE_ROLLBACKS), or null with a reason when the engine or Docker is missing.
// Exits 1 if any request failed.
//
//   npm run bench:switch [-- N]      (or SLIPWAY_BENCH_SWITCHES=N; default 20, at most 500)
import { renderHaproxyConfig, routesFor, SLOT_HEADER, type Routes } from '../components/docker/haproxyConfig';
import type { Slot } from '../stacks/schema';
import { hostHaproxyVersion, startHaproxy, startSlotServer, type HaproxyProcess } from '../test/support/haproxy';
import { startLoad, type Load } from '../test/support/load';
import { freePorts } from '../test/support/ports';
import { pipelineRollbacks } from './pipelineRollback';
import { percentile, round1 } from './stats';

const CONCURRENCY = 8;
const SWITCH_TIMEOUT_MS = 10_000;
const DEADLINE_MS = 300_000;
/** Requests the load must have made over all the switches (spread evenly between them). */
const MIN_REQUESTS = 100_000;
/** `slipway rollback` runs timed on the real engine. */
const PIPELINE_ROLLBACKS = 4;

function count(): number {
  const raw = process.argv[2] ?? process.env.SLIPWAY_BENCH_SWITCHES ?? '20';
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 500) {
    throw new Error(`switch count: "${raw}" is not a whole number from 1 to 500 (argv[1] or SLIPWAY_BENCH_SWITCHES)`);
  }
  return n;
}

const both = { blue: true, green: true };

async function main(): Promise<number> {
  const n = count();
  const started = Date.now();
  const blue = await startSlotServer('blue', '1.0.0');
  const green = await startSlotServer('green', '1.1.0');
  let router: HaproxyProcess | undefined;
  let load: Load | undefined;
  try {
    const [pub, test, api] = await freePorts(3);
    router = await startHaproxy(
      (paths) =>
        renderHaproxyConfig({
          listen: { public: pub!, test: test! },
          bindAddress: '127.0.0.1',
          upstreams: { blue: { host: '127.0.0.1', port: blue.port }, green: { host: '127.0.0.1', port: green.port } },
          runtimeApi: { host: '127.0.0.1', port: api! },
          routesFile: paths.routesFile,
          log: 'off',
        }),
      routesFor('blue', both),
      { ports: [pub!, test!], runtimePort: api! },
    );
    load = startLoad(`http://127.0.0.1:${pub}/`, { concurrency: CONCURRENCY, slotHeader: SLOT_HEADER, retry: false });
    await load.firstFrom('blue', 0, SWITCH_TIMEOUT_MS);

    const r = router;
    const running = load;
    const applies: number[] = [];
    /** One switch: the routing change, then the time to the first answer from `to`. */
    const switchTo = async (to: Slot): Promise<number> => {
      const routes: Routes = routesFor(to, both);
      const first = running.firstFrom(to, performance.now(), SWITCH_TIMEOUT_MS);
      const { at } = await r.apply(routes);
      applies.push(performance.now() - at);
      return (await first).at - at;
    };

    const switches: number[] = [];
    const rollbacks: number[] = [];
    // Traffic between switches, so MIN_REQUESTS are spread over them rather than made after them.
    const perSwitch = Math.ceil(MIN_REQUESTS / (2 * n));
    const dwell = async () => {
      const target = running.stats.requests + perSwitch;
      while (running.stats.requests < target && Date.now() - started < DEADLINE_MS) await new Promise((res) => setTimeout(res, 20));
    };
    for (let i = 0; i < n && Date.now() - started < DEADLINE_MS; i++) {
      switches.push(await switchTo('green'));
      await dwell();
      rollbacks.push(await switchTo('blue'));
      await dwell();
    }
    const stats = await load.stop();
    load = undefined;
    const pipeline = await pipelineRollbacks(PIPELINE_ROLLBACKS);
    const result = {
      router: `haproxy ${await hostHaproxyVersion()}`,
      requests: stats.requests,
      failed: stats.failed,
      reset_connections: stats.resets,
      switches: switches.length,
      switch_ms_p50: round1(percentile(switches, 50)),
      switch_ms_max: round1(Math.max(...switches)),
      rollback_ms: round1(percentile(rollbacks, 50)),
      rollback_ms_max: round1(Math.max(...rollbacks)),
      apply_ms_p50: round1(percentile(applies, 50)),
      ...pipeline,
    };
    console.log(JSON.stringify(result));
    if (stats.failures.length > 0) console.error(`failures: ${stats.failures.join('; ')}`);
    if (switches.length < n) console.error(`stopped after ${switches.length} of ${n} switches: ${DEADLINE_MS / 1000}s deadline`);
    return stats.failed === 0 && switches.length === n && (pipeline.pipeline_failed ?? 0) === 0 && !pipeline.pipeline_error ? 0 : 1;
  } finally {
    await load?.stop();
    await router?.stop();
    await blue.close();
    await green.close();
  }
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`bench:switch: ${e.message}`);
    process.exit(1);
  },
);
