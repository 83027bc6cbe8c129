/**
 * The two ways a protected value can fail to open, kept apart because callers answer them
 * differently: an integrity failure is permanent (the value was moved, edited or belongs to
 * another key) and becomes an "unreadable" marker; an unavailable key service is transient and
 * becomes 503 so the client retries.
 */
export class IntegrityError extends Error {
  constructor(reason: string) {
    super(`protected value failed its integrity check: ${reason}`);
    this.name = 'IntegrityError';
  }
}

export class KeyServiceUnavailableError extends Error {
  constructor(
    readonly operation: string,
    options?: { cause?: unknown },
  ) {
    super(`key service unavailable during ${operation}`, options);
    this.name = 'KeyServiceUnavailableError';
  }
}
