import { groupQueue, type Waiting } from './group-queue';

/**
 * Writes the items that arrive in the same turn of the event loop, or while earlier groups are
 * being written, as one statement (one commit for many rows): `many` writes a group and answers
 * each item, in order. When `many` fails, each item of that group is written alone with `one`, so
 * a bad item (a duplicate key) fails only itself. Up to `maxInFlight` groups are written at once.
 */
export function coalescedWrites<I, R>(
  many: (items: I[]) => Promise<R[]>,
  one: (item: I) => Promise<R>,
  opts: { maxBatch?: number; maxInFlight?: number } = {},
): (item: I) => Promise<R> {
  async function write(group: Array<Waiting<I, R>>): Promise<void> {
    if (group.length > 1) {
      let results: R[] | null = null;
      try {
        results = await many(group.map((w) => w.item));
      } catch {
        // Fall through: each item alone, so the one that broke the group gets its own error.
      }
      if (results) {
        group.forEach((w, i) => w.resolve(results[i]!));
        return;
      }
    }
    await Promise.all(group.map((w) => one(w.item).then(w.resolve, w.reject)));
  }

  // Wait for the rest of this turn: the sends of one claim reach this point together.
  return groupQueue(write, { maxBatch: opts.maxBatch ?? 64, maxInFlight: opts.maxInFlight ?? 2, gatherTurn: true });
}
