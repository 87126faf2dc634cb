import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../logger';
import type { FromWorker, ToWorker, WorkerData } from './render-worker';
import { createRenderer, RenderError, type RenderedEmail, type Renderer, type RenderOptions, type RendererOptions } from './renderer';

// Rendering is the CPU of a send (a few milliseconds of Liquid and text per email); on the event
// loop it would delay every claim, query and webhook behind it. The pool renders in worker
// threads, one per core by default, and keeps a renderer on the main thread for everything that
// is not a send: previews, validation, the template list. Same interface as the renderer.

interface PoolWorker {
  worker: Worker;
  pending: Map<number, { resolve: (e: RenderedEmail) => void; reject: (err: Error) => void }>;
}

/** Restarts of a crashed render thread wait this long, so a thread that cannot start does not spin. */
const RESTART_DELAY_MS = 1_000;

function spawn(data: WorkerData): Worker {
  const entry = path.join(__dirname, `render-worker${path.extname(__filename)}`);
  if (entry.endsWith('.js')) return new Worker(entry, { workerData: data });
  // From source (tests, `npm run demo`): the thread compiles TypeScript through tsx as the parent does.
  const boot = `require('tsx/cjs/api').require(${JSON.stringify(entry)}, ${JSON.stringify(__filename)});`;
  return new Worker(boot, { eval: true, workerData: data });
}

export function createRenderPool(templatesRoot: string, opts: { size: number; log: Logger } & RendererOptions): Renderer & { close(): Promise<void> } {
  const main = createRenderer(templatesRoot, opts);
  const overrides = new Map<string, string>();
  const workers: Array<PoolWorker | null> = [];
  let nextId = 1;
  let closed = false;

  function start(slot: number): void {
    const worker = spawn({ templatesRoot: main.root, options: { limits: opts.limits }, overrides: [...overrides] });
    const entry: PoolWorker = { worker, pending: new Map() };
    workers[slot] = entry;
    worker.on('message', (msg: FromWorker) => {
      const p = entry.pending.get(msg.id);
      if (!p) return;
      entry.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.email);
      else p.reject(msg.template !== null ? new RenderError(msg.template, msg.reason) : new Error(msg.reason));
    });
    worker.on('error', (err) => opts.log.error({ err: err.message }, 'a render thread failed'));
    worker.on('exit', (code) => {
      // What it had in hand is retried by the jobs (a plain Error is transient); a template
      // error is never the cause, those come back as messages.
      for (const p of entry.pending.values()) p.reject(new Error(`the render thread stopped (exit ${code})`));
      entry.pending.clear();
      workers[slot] = null;
      if (!closed) setTimeout(() => !closed && start(slot), RESTART_DELAY_MS).unref();
    });
  }
  for (let i = 0; i < opts.size; i++) start(i);

  /** The live thread with the fewest renders in hand. */
  function pick(): PoolWorker | null {
    let best: PoolWorker | null = null;
    for (const w of workers) if (w && (!best || w.pending.size < best.pending.size)) best = w;
    return best;
  }

  return {
    ...main,
    async render(name: string, context: Record<string, unknown>, options: RenderOptions = {}): Promise<RenderedEmail> {
      const w = pick();
      if (!w) return main.render(name, context, options); // every thread is restarting: render here
      const id = nextId++;
      return new Promise<RenderedEmail>((resolve, reject) => {
        w.pending.set(id, { resolve, reject });
        w.worker.postMessage({ type: 'render', id, name, context, options } satisfies ToWorker);
      });
    },
    setOverride(name: string, source: string | null): void {
      main.setOverride(name, source); // throws on a template that does not parse, before any thread sees it
      if (source === null) overrides.delete(name);
      else overrides.set(name, source);
      for (const w of workers) w?.worker.postMessage({ type: 'override', name, source } satisfies ToWorker);
    },
    async close(): Promise<void> {
      closed = true;
      await Promise.all(workers.map((w) => w?.worker.terminate()));
    },
  };
}
