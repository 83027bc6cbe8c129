/**
 * Captures what the Powertools logger prints (one JSON object per line; INFO/WARN on stdout,
 * ERROR on stderr) so tests can read the structured log lines a request produced.
 */
export interface LogCapture {
  /** Every captured line, verbatim. */
  readonly text: () => string[];
  /** The captured lines that parse as JSON objects. */
  readonly entries: () => Record<string, unknown>[];
  /** Forgets what was captured so far. */
  readonly clear: () => void;
  readonly stop: () => void;
}

export function captureLogs(): LogCapture {
  let buffered = '';
  const capture = (chunk: unknown): boolean => {
    buffered += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    return true;
  };
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(capture as never),
    jest.spyOn(process.stderr, 'write').mockImplementation(capture as never),
  ];
  const text = () => buffered.split('\n').filter((line) => line.trim().length > 0);
  return {
    text,
    entries: () =>
      text().flatMap((line) => {
        try {
          const parsed: unknown = JSON.parse(line);
          return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? [parsed as Record<string, unknown>] : [];
        } catch {
          return [];
        }
      }),
    clear: () => {
      buffered = '';
    },
    stop: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}
