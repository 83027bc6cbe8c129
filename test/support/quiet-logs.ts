/**
 * Jest workers drop the handlers' structured log lines (one JSON object per line, starting with
 * `{"level":`), so a failure is readable in CI's output; `NEMT_TEST_LOGS=1` keeps them. Tests
 * that read the logs (support/logs.ts) spy on the same writes and see every line, since the spy
 * replaces this filter while it is installed.
 */
const LOG_LINE = /^\{"level":"[A-Z]+"/;

if (process.env.NEMT_TEST_LOGS !== '1') {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : '';
      const onlyLogLines = text.length > 0 && text.split('\n').every((line) => line === '' || LOG_LINE.test(line));
      if (onlyLogLines) {
        const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
        callback?.();
        return true;
      }
      return write(chunk, ...rest);
    }) as typeof stream.write;
  }
}
