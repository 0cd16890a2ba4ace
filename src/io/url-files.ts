import type { ModelFiles } from './load-model.ts';

/** A model folder served over HTTP (the built-in model under the page's own origin). */
export function urlFiles(name: string, baseUrl: string, fetchImpl: typeof fetch = fetch): ModelFiles {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const get = async (path: string): Promise<Response | null> => {
    const response = await fetchImpl(new URL(path, base));
    if (response.status === 404) return null;
    if (!response.ok) throw new Error(`${name}: ${path}: HTTP ${response.status} ${response.statusText}`);
    return response;
  };
  return {
    name,
    readText: async (path) => (await get(path))?.text() ?? null,
    readBytes: async (path) => {
      const r = await get(path);
      return r ? new Uint8Array(await r.arrayBuffer()) : null;
    },
  };
}

/** Files already in memory (a dropped folder), keyed by their path inside the model folder. */
export function memoryFiles(name: string, files: Readonly<Record<string, Uint8Array>>): ModelFiles {
  const decoder = new TextDecoder();
  return {
    name,
    readText: async (path) => (files[path] ? decoder.decode(files[path]) : null),
    readBytes: async (path) => files[path] ?? null,
  };
}
