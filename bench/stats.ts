// What the benchmarks report of their samples: nearest-rank percentiles, milliseconds to one decimal.

/** Nearest-rank percentile (p in (0, 100]); NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** Milliseconds to one decimal. */
export const round1 = (ms: number) => Math.round(ms * 10) / 10;
