/**
 * Built on first use, once: SDK clients and code only some requests need stay out of module
 * init, which every cold start pays (docs/performance.md, P1); with `import()` inside `load`,
 * the bundle keeps that code in a file of its own that Node reads only then. A failed load is
 * forgotten, so the next call tries again. Configuration is still read at init by the callers,
 * so a missing value fails the cold start, not a request.
 */
export function onFirstUse<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
}
