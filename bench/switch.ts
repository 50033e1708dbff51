// Switch benchmark: a real nginx on 127.0.0.1 in front of two real HTTP slots, under continuous
// keep-alive load from a client that never retries (an API client, a POST), switched blue -> green (a
// switch) and back (a rollback) N times by rewriting the config the router renders and reloading, with
// at least MIN_REQUESTS requests over the switches. Prints one JSON line:
//   {"requests","failed","reset_connections","switches","switch_ms_p50","switch_ms_max","rollback_ms","rollback_ms_max"}
// failed: requests that got no 2xx; reset_connections: those of them whose kept-alive connection was
// reset before any answer (what a reload does to idle connections; a browser would resend those GETs).
// switch_ms: from the reload signal to the first response served by the new slot. rollback_ms: the
// same for the switch back (p50; rollback_ms_max the worst). Exits 1 if any request failed.
//
//   npm run bench:switch [-- N]      (or SLIPWAY_BENCH_SWITCHES=N; default 20, at most 500)
import { renderNginxConfig, SLOT_HEADER, type RouterRuntime } from '../components/docker/nginxConfig';
import type { Slot } from '../stacks/schema';
import { startLoad, type Load } from '../test/support/load';
import { startNginx, startSlotServer, type NginxProcess } from '../test/support/nginx';
import { freePorts } from '../test/support/ports';

const CONCURRENCY = 8;
const SWITCH_TIMEOUT_MS = 10_000;
const DEADLINE_MS = 300_000;
/** Requests the load must have made over all the switches (spread evenly between them). */
const MIN_REQUESTS = 100_000;

function count(): number {
  const raw = process.argv[2] ?? process.env.SLIPWAY_BENCH_SWITCHES ?? '20';
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 500) {
    throw new Error(`switch count: "${raw}" is not a whole number from 1 to 500 (argv[1] or SLIPWAY_BENCH_SWITCHES)`);
  }
  return n;
}

/** Nearest-rank percentile. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

async function main(): Promise<number> {
  const n = count();
  const started = Date.now();
  const blue = await startSlotServer('blue', '1.0.0');
  const green = await startSlotServer('green', '1.1.0');
  let nginx: NginxProcess | undefined;
  let load: Load | undefined;
  try {
    const [pub, test] = await freePorts(2);
    const listen = { public: pub!, test: test! };
    let runtime: RouterRuntime | undefined;
    const render = (live: Slot) =>
      renderNginxConfig({
        live,
        upstreams: { blue: { host: '127.0.0.1', port: blue.port }, green: { host: '127.0.0.1', port: green.port } },
        listen,
        bindAddress: '127.0.0.1',
        runtime: runtime!,
      });
    nginx = await startNginx((rt) => {
      runtime = rt;
      return render('blue');
    }, [listen.public, listen.test]);
    load = startLoad(`http://127.0.0.1:${listen.public}/`, { concurrency: CONCURRENCY, slotHeader: SLOT_HEADER, retry: false });
    await load.firstFrom('blue', 0, SWITCH_TIMEOUT_MS);

    const router = nginx;
    const running = load;
    /** One switch: new config on disk, reload, time to the first answer from `to`, then wait for the old workers to go. */
    const switchTo = async (to: Slot): Promise<number> => {
      await router.writeConfig(render(to));
      const first = running.firstFrom(to, performance.now(), SWITCH_TIMEOUT_MS);
      const { oldWorkers, at } = await router.signalReload();
      const o = await first;
      await router.settled(oldWorkers);
      return o.at - at;
    };

    const switches: number[] = [];
    const rollbacks: number[] = [];
    // Traffic between switches, so MIN_REQUESTS are spread over them rather than made after them.
    const perSwitch = Math.ceil(MIN_REQUESTS / (2 * n));
    const dwell = async () => {
      const target = running.stats.requests + perSwitch;
      while (running.stats.requests < target && Date.now() - started < DEADLINE_MS) await new Promise((r) => setTimeout(r, 20));
    };
    for (let i = 0; i < n && Date.now() - started < DEADLINE_MS; i++) {
      switches.push(await switchTo('green'));
      await dwell();
      rollbacks.push(await switchTo('blue'));
      await dwell();
    }
    const stats = await load.stop();
    load = undefined;
    const result = {
      requests: stats.requests,
      failed: stats.failed,
      reset_connections: stats.resets,
      switches: switches.length,
      switch_ms_p50: round(percentile(switches, 50)),
      switch_ms_max: round(Math.max(...switches)),
      rollback_ms: round(percentile(rollbacks, 50)),
      rollback_ms_max: round(Math.max(...rollbacks)),
    };
    console.log(JSON.stringify(result));
    if (stats.failures.length > 0) console.error(`failures: ${stats.failures.join('; ')}`);
    if (switches.length < n) console.error(`stopped after ${switches.length} of ${n} switches: ${DEADLINE_MS / 1000}s deadline`);
    return stats.failed === 0 && switches.length === n ? 0 : 1;
  } finally {
    await load?.stop();
    await nginx?.stop();
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
