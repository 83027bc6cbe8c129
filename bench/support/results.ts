/**
 * The shape of bench/results/latest.json: one object per benchmark, judged against the targets
 * of PERFORMANCE.md. A benchmark whose target is not met reports `pass: false`; a benchmark that
 * could not run reports `pass: false` with `error` (and makes `npm run bench` exit non-zero).
 */
export interface Check {
  /** What is compared, e.g. `p50 ratio`. */
  readonly name: string;
  readonly value: number | null;
  readonly limit: number;
  /** `max`: value ≤ limit; `min`: value ≥ limit. */
  readonly kind: 'max' | 'min';
  readonly pass: boolean;
}

export interface BenchmarkResult {
  readonly id: string;
  readonly name: string;
  /** The headline measurement, in `unit`. */
  readonly value: number | null;
  /** The same measurement of the floor taken in this run; null where PERFORMANCE.md has none. */
  readonly floor: number | null;
  /** value / floor. */
  readonly ratio: number | null;
  /** The target of PERFORMANCE.md, in words; `checks` holds the same as numbers. */
  readonly target: string;
  readonly pass: boolean;
  readonly unit: string;
  readonly checks: readonly Check[];
  /** The absolute figures behind the ratio, for context. */
  readonly absolute: Record<string, unknown>;
  /** Why the benchmark could not run or complete. */
  readonly error?: string;
  /** The benchmark threw (as opposed to being not implemented yet). */
  readonly crashed?: boolean;
  /** Why it did not run: what it measures does not exist yet (e.g. the console's board). Not a crash. */
  readonly skipped?: string;
  readonly seconds: number;
}

export function check(name: string, value: number | null, kind: 'max' | 'min', limit: number): Check {
  const pass = value !== null && Number.isFinite(value) && (kind === 'max' ? value <= limit : value >= limit);
  return { name, value, limit, kind, pass };
}

export interface BenchmarkOutcome {
  value: number | null;
  floor: number | null;
  ratio: number | null;
  unit: string;
  checks: Check[];
  absolute: Record<string, unknown>;
  /** Set when the benchmark ran but could not measure what it should (e.g. not implemented). */
  error?: string;
  /** Set when what it measures is not there yet; reported as skipped, with this reason. */
  skipped?: string;
  /** A measurement reported without a target (it "passes" when it ran). */
  reportOnly?: boolean;
}

function formatNumber(value: number | null, unit = ''): string {
  if (value === null || !Number.isFinite(value)) return '—';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${value.toFixed(digits)}${unit ? ` ${unit}` : ''}`;
}

function describeCheck(item: Check): string {
  const op = item.kind === 'max' ? '≤' : '≥';
  return `${item.name} ${formatNumber(item.value)} ${op} ${item.limit}`;
}

export function renderTable(results: readonly BenchmarkResult[]): string {
  const header = ['id', 'benchmark', 'value', 'floor', 'ratio', 'checks', 'pass'];
  const rows = results.map((result) => [
    result.id,
    result.name,
    formatNumber(result.value, result.unit),
    formatNumber(result.floor, result.floor === null ? '' : result.unit),
    result.ratio === null ? '—' : `${formatNumber(result.ratio)}×`,
    result.skipped ? `SKIPPED: ${result.skipped}` : result.error ? `ERROR: ${result.error}` : result.checks.map(describeCheck).join('; '),
    result.skipped ? 'SKIP' : result.pass ? 'PASS' : 'FAIL',
  ]);
  const widths = header.map((title, column) =>
    Math.min(column === 5 ? 90 : 44, Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length))));
  const line = (cells: string[]) =>
    cells.map((cell, column) => {
      const width = widths[column] as number;
      return cell.length > width ? `${cell.slice(0, width - 1)}…` : cell.padEnd(width);
    }).join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}
