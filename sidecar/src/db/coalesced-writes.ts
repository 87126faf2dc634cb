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
  const maxBatch = opts.maxBatch ?? 64;
  const maxInFlight = opts.maxInFlight ?? 2;
  type Waiting = { item: I; resolve: (r: R) => void; reject: (err: unknown) => void };
  let queue: Waiting[] = [];
  let inFlight = 0;
  let scheduled = false;

  async function write(group: Waiting[]): Promise<void> {
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

  function pump(): void {
    scheduled = false;
    while (queue.length && inFlight < maxInFlight) {
      const group = queue.slice(0, maxBatch);
      queue = queue.slice(group.length);
      inFlight++;
      void write(group).finally(() => {
        inFlight--;
        pump();
      });
    }
  }

  return (item) =>
    new Promise<R>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      // Wait for the rest of this turn: the sends of one claim reach this point together.
      if (!scheduled) {
        scheduled = true;
        setImmediate(pump);
      }
    });
}
