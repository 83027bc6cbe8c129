/**
 * The benchmark's own output, kept apart from the application's. The handlers log one JSON line
 * per request to stdout (as they do on Lambda); thousands of them would bury the progress and
 * the table, and a terminal's rendering speed would become part of the measurement. So while
 * benchmarks run, stdout writes made by the application are accepted and counted but not shown
 * (the logger still builds and serialises every line, as in production), and the benchmark
 * prints through the real stream.
 */
const realWrite = process.stdout.write.bind(process.stdout);
const interactive = process.stdout.isTTY === true;
let muted = false;
let swallowedLines = 0;
let lastSwallowed = '';
let statusShown = false;

export function muteApplicationOutput(): void {
  if (muted) return;
  muted = true;
  process.stdout.write = ((chunk: string | Uint8Array, encoding?: unknown, callback?: unknown) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    swallowedLines += 1;
    lastSwallowed = text.slice(0, 500);
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
    return true;
  }) as typeof process.stdout.write;
}

export function applicationOutput(): { lines: number; last: string } {
  return { lines: swallowedLines, last: lastSwallowed };
}

function clearStatus(): void {
  if (interactive && statusShown) realWrite('\r\x1b[2K');
  statusShown = false;
}

/** A permanent line. */
export function say(line = ''): void {
  clearStatus();
  realWrite(`${line}\n`);
}

/** A progress line: rewritten in place on a terminal, printed once per call elsewhere. */
export function status(line: string): void {
  if (interactive) {
    realWrite(`\r\x1b[2K${line.slice(0, (process.stdout.columns ?? 120) - 1)}`);
    statusShown = true;
  } else {
    realWrite(`  … ${line}\n`);
  }
}

/** Progress for long loops: on a terminal every update, elsewhere only at quarter marks. */
export function progressReporter(label: string): (done: number, total: number) => void {
  let lastQuarter = -1;
  return (done, total) => {
    if (interactive) {
      status(`${label} ${done}/${total}`);
      return;
    }
    const quarter = Math.floor((done / total) * 4);
    if (quarter > lastQuarter && quarter > 0) {
      lastQuarter = quarter;
      status(`${label} ${done}/${total}`);
    }
  };
}
