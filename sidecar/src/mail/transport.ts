// What every transport (Mailgun, the local outbox) offers the sender.

export interface OutgoingMessage {
  /** Our message row id, carried to the provider so webhooks and recovery find the row. */
  messageId: number;
  from: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  tags: string[];
  headers: Record<string, string>;
  testMode?: boolean;
}

export interface Transport {
  readonly name: 'mailgun' | 'outbox';
  /** Resolves with the provider's message id once the provider has accepted the message. */
  send(message: OutgoingMessage): Promise<{ providerId: string }>;
  /**
   * After a crash or an ambiguous failure: did the provider accept this message after all?
   * Returns its provider id, or null when it has no record of it.
   */
  findSubmitted(ref: { messageId: number; to: string; since: Date }): Promise<string | null>;
}

/**
 * `transient` failures are retried with back-off; `permanent` ones fail the job. `ambiguous` means
 * the provider may have accepted the message (a timeout after the request left), so the retry must
 * ask the provider before sending again.
 */
export class TransportError extends Error {
  constructor(
    readonly kind: 'transient' | 'permanent',
    message: string,
    readonly ambiguous = false,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}
