// What a job handler returns: expected outcomes are values, not exceptions. A handler that
// throws is treated as a transient failure and retried with back-off.
export type JobOutcome =
  | { status: 'completed'; reason?: string }
  /** The handler already finished the job inside its own transaction (atomic with its effects). */
  | { status: 'finished' }
  | { status: 'skipped'; reason: string }
  | { status: 'failed'; error: string }
  | { status: 'retry'; error: string; delayMs?: number }
  /** Not now, by rule (quiet hours, a frequency cap): runs again at `until` without using an attempt. */
  | { status: 'deferred'; until: Date; reason: string };
