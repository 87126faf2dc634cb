/** One caller's item, waiting for its group to be written. */
export interface Waiting<I, R> {
  item: I;
  resolve: (r: R) => void;
  reject: (err: unknown) => void;
}

/**
 * The queue behind group commit: items that arrive while earlier groups are being written wait
 * and go together in the next group (at most `maxBatch`), with up to `maxInFlight` groups at once.
 * `write` answers every item of its group (resolve or reject) and never throws. With `gatherTurn`
 * the first group also waits for the rest of the event loop's turn, so items started together
 * arrive together.
 */
export function groupQueue<I, R>(
  write: (group: Array<Waiting<I, R>>) => Promise<void>,
  opts: { maxBatch: number; maxInFlight: number; gatherTurn?: boolean },
): (item: I) => Promise<R> {
  let queue: Array<Waiting<I, R>> = [];
  let inFlight = 0;
  let scheduled = false;

  function pump(): void {
    scheduled = false;
    while (queue.length && inFlight < opts.maxInFlight) {
      const group = queue.slice(0, opts.maxBatch);
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
      if (!opts.gatherTurn) pump();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(pump);
      }
    });
}
