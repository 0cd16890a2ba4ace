import * as Comlink from 'comlink';
import type { StudioApi } from '../worker/studio-api.ts';

export type StudioRemote = Comlink.Remote<StudioApi>;

let remote: StudioRemote | null = null;

/** The one studio worker of this page; the engine, the model and every embedding live there. */
export function studio(): StudioRemote {
  if (!remote) {
    const worker = new Worker(new URL('../worker/studio.worker.ts', import.meta.url), { type: 'module', name: 'studio' });
    remote = Comlink.wrap<StudioApi>(worker);
  }
  return remote;
}

/** Wraps a callback so the worker can call it back (progress, training events). */
export const callback = Comlink.proxy;
