// Progress display for long steps: each step with its elapsed time. Human output goes to stderr so
// stdout stays clean for results (and --json).
export interface StepProgress {
  ok(detail?: string): void;
  fail(reason: string): void;
  skip(reason: string): void;
}

export interface Progress {
  step(name: string, detail?: string): StepProgress;
  /** One line for people; `fields` go into the JSON form too, for programs that follow a run. */
  info(line: string, fields?: Record<string, unknown>): void;
}

export const silentProgress: Progress = {
  step: () => ({ ok() {}, fail() {}, skip() {} }),
  info() {},
};

export interface Writable {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

/** `▸ deploy-idle (green) …` then `✓ deploy-idle (green) 12.4s`; on a TTY a ticking elapsed time. */
export function humanProgress(out: Writable, now: () => number = Date.now): Progress {
  return {
    info: (line) => void out.write(`  ${line}\n`),
    step(name, detail) {
      const label = detail ? `${name} (${detail})` : name;
      const started = now();
      const elapsed = () => `${((now() - started) / 1000).toFixed(1)}s`;
      let timer: NodeJS.Timeout | undefined;
      if (out.isTTY) {
        out.write(`▸ ${label} …`);
        timer = setInterval(() => out.write(`\r▸ ${label} … ${elapsed()}`), 1000);
        timer.unref();
      } else {
        out.write(`▸ ${label} …\n`);
      }
      const end = (mark: string, suffix: string) => {
        if (timer) clearInterval(timer);
        out.write(`${out.isTTY ? '\r\x1b[K' : ''}${mark} ${label} ${elapsed()}${suffix}\n`);
      };
      return {
        ok: (d) => end('✓', d ? ` — ${d}` : ''),
        fail: (reason) => end('✗', ` — ${reason}`),
        skip: (reason) => end('·', ` — skipped: ${reason}`),
      };
    },
  };
}

/** One JSON object per line, for CI logs: {"step":…,"status":…,"ms":…}. */
export function jsonProgress(out: Writable, now: () => number = Date.now): Progress {
  const emit = (o: object) => void out.write(`${JSON.stringify(o)}\n`);
  return {
    info: (line, fields) => emit({ ...fields, info: line }),
    step(name, detail) {
      const started = now();
      emit({ step: name, detail, status: 'started' });
      const end = (status: string, extra: object) => emit({ step: name, detail, status, ms: now() - started, ...extra });
      return {
        ok: (d) => end('ok', d ? { result: d } : {}),
        fail: (reason) => end('failed', { reason }),
        skip: (reason) => end('skipped', { reason }),
      };
    },
  };
}
