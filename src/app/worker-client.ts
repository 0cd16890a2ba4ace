import * as Comlink from 'comlink';
import type { InjectedFault, StudioApi } from '../worker/studio-api.ts';

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

/**
 * With `?faults` in the address, the browser tests' fault injection is reachable from the page
 * (`window.__studioFaults.inject('device-lost' | 'non-finite')`); otherwise it is not exposed.
 */
export function exposeFaultInjection(): void {
  if (typeof location === 'undefined' || !new URLSearchParams(location.search).has('faults')) return;
  (window as unknown as { __studioFaults: { inject(kind: InjectedFault): Promise<void> } }).__studioFaults = {
    inject: (kind) => studio().injectFault(kind),
  };
}

/** Wraps a callback so the worker can call it back (progress, training events). */
export const callback = Comlink.proxy;
