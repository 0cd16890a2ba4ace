import { useSession } from '../session-store.ts';
import { studio } from '../worker-client.ts';
import type { BackendInfo } from '../../shared/events.ts';
import type { BackendPreference } from '../../shared/names.ts';

/** `?backend=wasm|webgpu|cpu` picks the engine (default auto: WebGPU on a hardware GPU, else the faster of the two). */
function backendFromUrl(): BackendPreference {
  const asked = new URLSearchParams(window.location.search).get('backend');
  return asked === 'wasm' || asked === 'webgpu' || asked === 'cpu' ? asked : 'auto';
}

/**
 * One engine start per page. StrictMode runs effects twice in development (and in builds made
 * under NODE_ENV=test), and a second init replaced the workspace that a click on "Load the
 * built-in model" was already loading into: the model card showed, and every later call said
 * "load a model first".
 */
let starting: Promise<BackendInfo> | null = null;

/** Starts the engine (once) and tells the session which backend trains here, or why none does. */
export function startStudio(): void {
  starting ??= studio().init(backendFromUrl());
  starting.then((info) => useSession.getState().setBackend(info), (e: unknown) => useSession.getState().setBackend(null, (e as Error).message));
}
