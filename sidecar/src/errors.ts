// Every error a client or an operator can see carries a stable code. Handlers and services
// throw AppError (or return results); the HTTP error middleware is the only place that turns
// errors into responses, and raw MySQL or Mailgun text never reaches one.

export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const badRequest = (code: string, message: string, details?: unknown) => new AppError(code, message, 400, details);
export const unauthorized = (code: string, message: string) => new AppError(code, message, 401);
export const notFound = (code: string, message: string) => new AppError(code, message, 404);
export const unprocessable = (code: string, message: string, details?: unknown) => new AppError(code, message, 422, details);

/** Duplicate-key errors are expected outcomes of idempotent inserts, not failures. */
export function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === 'ER_DUP_ENTRY';
}
