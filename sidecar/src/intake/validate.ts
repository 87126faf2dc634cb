import { AppError } from '../errors';
import { envelopeSchema, eventDataSchemas, MAX_BATCH, type EventType, type ShopEvent } from './event-schemas';

export interface Problem {
  index: number;
  path: string;
  message: string;
}

const MAX_PROBLEMS = 50;

/**
 * Turns a parsed JSON body (one event, or `{ events: [...] }`) into validated events, or throws
 * with every problem found, each naming the event index and the field. All or nothing.
 */
export function validateEvents(body: unknown): ShopEvent[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AppError('invalid_body', 'the body must be one event object or { "events": [ … ] }', 400);
  }
  const b = body as Record<string, unknown>;
  const raw = 'events' in b ? b.events : [body];
  if (!Array.isArray(raw)) throw new AppError('invalid_body', '"events" must be an array', 400);
  if (raw.length === 0) throw new AppError('invalid_body', '"events" is empty', 400);
  if (raw.length > MAX_BATCH) throw new AppError('batch_too_large', `a batch holds at most ${MAX_BATCH} events`, 413);

  const problems: Problem[] = [];
  let unknownType = false;
  const events: ShopEvent[] = [];
  raw.forEach((item, index) => {
    if (problems.length >= MAX_PROBLEMS) return;
    const env = envelopeSchema.safeParse(item);
    if (!env.success) {
      for (const i of env.error.issues) problems.push({ index, path: i.path.join('.') || '(event)', message: i.message });
      return;
    }
    const type = env.data.type;
    const schema = (eventDataSchemas as Record<string, (typeof eventDataSchemas)[EventType]>)[type];
    if (!schema) {
      unknownType = true;
      problems.push({ index, path: 'type', message: `unknown event type "${type.slice(0, 60)}"` });
      return;
    }
    const data = schema.safeParse(env.data.data);
    if (!data.success) {
      for (const i of data.error.issues) problems.push({ index, path: ['data', ...i.path].join('.'), message: i.message });
      return;
    }
    events.push({ id: env.data.id, type: type as EventType, occurredAt: new Date(env.data.occurred_at), data: data.data });
  });

  if (problems.length > 0) {
    const first = problems[0]!;
    const onlyTypes = unknownType && problems.every((p) => p.path === 'type');
    throw new AppError(
      onlyTypes ? 'event_type_unknown' : 'event_invalid',
      `event ${first.index}: ${first.path}: ${first.message}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`,
      422,
      problems,
    );
  }
  return events;
}
