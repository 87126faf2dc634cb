import { parentPort, workerData } from 'node:worker_threads';
import { createRenderer, RenderError, type RenderOptions, type RendererOptions } from './renderer';

// One render thread of the pool (render-pool.ts): its own renderer over the same templates, with
// the admins' edits the pool forwards. Messages in order, so an edit always precedes the renders
// after it.

export interface WorkerData {
  templatesRoot: string;
  options: RendererOptions;
  overrides: Array<[string, string]>;
}

export type ToWorker =
  | { type: 'render'; id: number; name: string; context: Record<string, unknown>; options: RenderOptions }
  | { type: 'override'; name: string; source: string | null };

export type FromWorker =
  | { id: number; ok: true; email: Awaited<ReturnType<ReturnType<typeof createRenderer>['render']>> }
  | { id: number; ok: false; template: string | null; reason: string };

const data = workerData as WorkerData;
const renderer = createRenderer(data.templatesRoot, data.options);
for (const [name, source] of data.overrides) {
  try {
    renderer.setOverride(name, source);
  } catch {
    // The pool's own renderer refused it first and logged why; the shipped file stays.
  }
}

parentPort!.on('message', (msg: ToWorker) => {
  if (msg.type === 'override') {
    try {
      renderer.setOverride(msg.name, msg.source);
    } catch {
      renderer.setOverride(msg.name, null);
    }
    return;
  }
  renderer.render(msg.name, msg.context, msg.options).then(
    (email) => parentPort!.postMessage({ id: msg.id, ok: true, email } satisfies FromWorker),
    (err: unknown) =>
      parentPort!.postMessage({
        id: msg.id, ok: false,
        template: err instanceof RenderError ? err.template : null,
        reason: err instanceof RenderError ? err.reason : String((err as Error)?.message ?? err),
      } satisfies FromWorker),
  );
});
