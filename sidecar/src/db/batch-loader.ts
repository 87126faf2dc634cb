/**
 * Coalesces lookups by key made in the same turn of the event loop into one `IN (…)` query: the
 * runner starts a batch of jobs at once, and each send would otherwise read its own rows one
 * round trip at a time. A key the query does not return resolves to null.
 */
export function batchLoader<V, K extends number | string = number>(load: (keys: K[]) => Promise<Map<K, V>>): (key: K) => Promise<V | null> {
  let pending: Map<K, Array<{ resolve: (v: V | null) => void; reject: (err: unknown) => void }>> | null = null;

  function flush(): void {
    const batch = pending!;
    pending = null;
    load([...batch.keys()]).then(
      (found) => {
        for (const [key, waiters] of batch) for (const w of waiters) w.resolve(found.get(key) ?? null);
      },
      (err: unknown) => {
        for (const waiters of batch.values()) for (const w of waiters) w.reject(err);
      },
    );
  }

  return (key) =>
    new Promise<V | null>((resolve, reject) => {
      if (!pending) {
        pending = new Map();
        setImmediate(flush);
      }
      const waiters = pending.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else pending.set(key, [{ resolve, reject }]);
    });
}
