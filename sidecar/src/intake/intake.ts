import { AppError } from '../errors';
import type { EventStore } from './event-store';
import { validateEvents } from './validate';

export type IntakeService = ReturnType<typeof createIntakeService>;

/** Validate, store durably, then nudge the processor: the HTTP handler only maps the result. */
export function createIntakeService(d: { store: EventStore; onStored: () => void }) {
  return {
    async accept(rawJson: string): Promise<{ accepted: number; duplicates: number }> {
      let body: unknown;
      try {
        body = JSON.parse(rawJson);
      } catch {
        throw new AppError('malformed_json', 'the body is not valid JSON', 400);
      }
      const events = validateEvents(body);
      let result;
      try {
        result = await d.store.append(events);
      } catch {
        throw new AppError('unavailable', 'the events could not be stored; retry later', 503);
      }
      d.onStored();
      return result;
    },
  };
}
