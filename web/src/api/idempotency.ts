import { useCallback, useRef } from 'react';

/**
 * One Idempotency-Key per body: sending the same answers again (a retry after a lost answer)
 * replays the first creation; a corrected form after a refusal is a new request.
 */
export function useIdempotencyKey(): (body: unknown) => string {
  const attempt = useRef<{ body: string; key: string } | null>(null);
  return useCallback((body: unknown) => {
    const signature = JSON.stringify(body);
    if (attempt.current?.body !== signature) attempt.current = { body: signature, key: crypto.randomUUID() };
    return attempt.current.key;
  }, []);
}
