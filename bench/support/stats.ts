/** Small statistics for latency samples (milliseconds). */

export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  // Linear interpolation between closest ranks (the "R-7" rule spreadsheets use).
  const position = (sorted.length - 1) * (p / 100);
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const low = sorted[lower] as number;
  const high = sorted[upper] as number;
  return low + (high - low) * (position - lower);
}

export const median = (samples: readonly number[]) => percentile(samples, 50);

export interface LatencySummary {
  samples: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
}

export function summarise(samples: readonly number[]): LatencySummary {
  return {
    samples: samples.length,
    p50: round(percentile(samples, 50)),
    p90: round(percentile(samples, 90)),
    p99: round(percentile(samples, 99)),
    mean: round(samples.reduce((sum, value) => sum + value, 0) / Math.max(1, samples.length)),
    min: round(Math.min(...samples)),
    max: round(Math.max(...samples)),
  };
}

export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value)) return value;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export function ratio(value: number, floor: number): number {
  return round(value / floor, 3);
}

/** Times one call in milliseconds. */
export async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

/**
 * Measures two variants in alternation (A B, B A, A B, …) after a warm-up, so drift in a noisy
 * machine (other processes, frequency scaling, autovacuum) lands on both equally.
 */
export async function measureAlternating(
  variants: { a: () => Promise<unknown>; b: () => Promise<unknown> },
  options: { warmup: number; iterations: number; onProgress?: (done: number, total: number) => void },
): Promise<{ a: number[]; b: number[] }> {
  for (let index = 0; index < options.warmup; index += 1) {
    await variants.a();
    await variants.b();
  }
  const a: number[] = [];
  const b: number[] = [];
  const every = Math.max(1, Math.floor(options.iterations / 20));
  for (let index = 0; index < options.iterations; index += 1) {
    if (index % 2 === 0) {
      a.push(await timed(variants.a));
      b.push(await timed(variants.b));
    } else {
      b.push(await timed(variants.b));
      a.push(await timed(variants.a));
    }
    if ((index + 1) % every === 0) options.onProgress?.(index + 1, options.iterations);
  }
  return { a, b };
}
