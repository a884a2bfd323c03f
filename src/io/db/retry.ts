// The one retry loop for statements: retryable errors (errors.ts) are run again with a short growing pause.
import { sleep } from '../sleep.js';
import { isRetryable } from './errors.js';

/** The pause before attempt `attempt + 1`: 100 ms more each time, at most 2 s. */
export function retryPauseMillis(attempt: number): number {
  return Math.min(100 * attempt, 2000);
}

/** Retries `fn` on retryable errors, up to `retries` times in all; `onRetry` before each pause. */
export async function withRetries<T>(
  retries: number,
  fn: () => Promise<T>,
  onRetry?: (attempt: number, err: unknown) => void,
  signal?: AbortSignal,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isRetryable(err) || attempt >= retries || signal?.aborted) throw err;
      onRetry?.(attempt, err);
      await sleep(retryPauseMillis(attempt), signal);
    }
  }
}
