// A small record, stored in the cache beside a model's files after a complete download, of
// which files the repo has and which it lacks. With it a second load needs no request at all
// (offline included): without it, every optional file the repo lacks would be asked for again.

import { putBytes, type HubCache } from './cache.ts';
import type { HubLocation } from './location.ts';

export const MANIFEST_FILE = '.embedding-studio-manifest.json';

export interface HubManifest {
  readonly version: 1;
  readonly endpoint: string;
  readonly repo: string;
  readonly revision: string;
  readonly weights: 'safetensors' | 'onnx';
  readonly weightsPath: string;
  readonly files: readonly string[];
  readonly absent: readonly string[];
}

const key = (loc: HubLocation) => `${loc.cachePrefix}/${MANIFEST_FILE}`;

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

export async function readManifest(cache: HubCache, loc: HubLocation): Promise<HubManifest | null> {
  const bytes = await cache.get(key(loc));
  if (bytes === null) return null;
  let m: Partial<Record<keyof HubManifest, unknown>>;
  try {
    m = JSON.parse(new TextDecoder().decode(bytes)) as typeof m;
  } catch {
    return null; // unreadable: download again
  }
  const ok =
    m.version === 1 &&
    m.endpoint === loc.endpoint &&
    m.repo === loc.repo &&
    m.revision === loc.revision &&
    (m.weights === 'safetensors' || m.weights === 'onnx') &&
    typeof m.weightsPath === 'string' &&
    isStrings(m.files) &&
    isStrings(m.absent);
  return ok ? (m as HubManifest) : null;
}

export async function writeManifest(cache: HubCache, loc: HubLocation, m: HubManifest): Promise<void> {
  await putBytes(cache, key(loc), new TextEncoder().encode(JSON.stringify(m, null, 2)));
}
