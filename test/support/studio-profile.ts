import { builtinModelLabel } from '../../src/io/pretrained-marker.ts';
import { readFileSync } from 'node:fs';
import { loadTrainingFile } from '../../src/data/load-file.ts';
import type { Backend } from '../../src/engine/backend.ts';
import { CpuBackend } from '../../src/engine/cpu/cpu-backend.ts';
import { folderFiles } from '../../src/io/folder-files.ts';
import { nodePdfJs } from '../../src/data/pdf/pdf-node.ts';
import { MemoryLockManager, RunLocks } from '../../src/storage/locks.ts';
import { MemoryDisk } from '../../src/storage/memory-opfs.ts';
import { RunFiles } from '../../src/storage/opfs.ts';
import { memoryStores, MemoryDatasetStore, MemoryRunStore, MemorySettingsStore, type RecordStores } from '../../src/storage/stores.ts';
import { StudioStorage } from '../../src/storage/studio-storage.ts';
import { StudioApi } from '../../src/worker/studio-api.ts';
import { TINY_BERT_MODEL_DIR } from './tiny-bert.ts';
import type { RetrievalSettings, TrainingConfig } from '../../src/shared/settings.ts';

/** The studio's worker in Node, in a simulated browser profile: what the storage and resume tests drive. */

export const SETTINGS: RetrievalSettings = { pooling: 'mean', normalize: true, includePrompt: true, queryTemplate: '{text}', corpusTemplate: '{text}' };
export const CONFIG: TrainingConfig = {
  loss: 'mnrl', epochs: 1, batchSize: 8, learningRate: 2e-3, warmupSteps: 0, weightDecay: 0, maxSeqLength: 32,
  scheduler: 'constant', seed: 7, matryoshkaDims: [], evalEvery: 2,
};
const DATA = 'public/samples/support-faq.jsonl';
const BUILTIN = 'public/models/builtin';

export interface Profile {
  readonly stores: RecordStores;
  readonly disk: MemoryDisk;
  readonly locks: MemoryLockManager;
}

/** One browser profile: record stores, an OPFS disk and the Web Locks every tab shares. */
export function profile(disk = new MemoryDisk()): Profile {
  return { stores: memoryStores(), disk, locks: new MemoryLockManager() };
}

/**
 * The profile as the browser finds it after the tab crashed now: the same records and files,
 * and no locks (they die with the tab).
 */
export function crashedProfile(p: Profile): Profile {
  const stores = memoryStores();
  for (const [k, v] of (p.stores.runs as MemoryRunStore).map) (stores.runs as MemoryRunStore).map.set(k, structuredClone(v));
  for (const [k, v] of (p.stores.datasets as MemoryDatasetStore).map) (stores.datasets as MemoryDatasetStore).map.set(k, v);
  for (const [k, v] of (p.stores.settings as MemorySettingsStore).map) (stores.settings as MemorySettingsStore).map.set(k, structuredClone(v));
  return { stores, disk: p.disk.snapshot(), locks: new MemoryLockManager() };
}

export interface Tab {
  readonly api: StudioApi;
  readonly storage: StudioStorage;
  /** Each saveRun as "state" or "state+weights". */
  readonly saved: string[];
}

/** A tab of the studio in that profile: its own worker, its own locks held. */
export async function tab(p: Profile, options: { createBackend?: () => Promise<Backend | { backend: Backend; fallbackReason: string }> } = {}): Promise<Tab> {
  const storage = new StudioStorage({
    stores: async () => p.stores,
    files: new RunFiles(async () => p.disk.root),
    locks: new RunLocks(p.locks),
    storageManager: { estimate: async () => ({ usage: p.disk.used, quota: Number.isFinite(p.disk.quota) ? p.disk.quota : 1e12 }), persisted: async () => false },
  });
  const saved: string[] = [];
  const saveRun = storage.saveRun.bind(storage);
  storage.saveRun = (record, weights, weightsStep) => {
    saved.push(`${record.state}${weights ? '+weights' : ''}`);
    return saveRun(record, weights, weightsStep);
  };
  const create = options.createBackend ?? (async () => new CpuBackend());
  const api = new StudioApi({
    createBackend: async () => {
      const made = await create();
      return 'fallbackReason' in made ? made : { backend: made };
    },
    // The tiny fixture model plays a Hub model (fast on the CPU); the built-in one is itself.
    resolveModel: async (source) =>
      source.kind === 'hub'
        ? { files: folderFiles(TINY_BERT_MODEL_DIR), name: source.repoId, randomWeights: true }
        : { files: folderFiles(BUILTIN), ...(await builtinModelLabel(folderFiles(BUILTIN))) },
    parseDataset: async (name, bytes, mapping) => loadTrainingFile(name, bytes, mapping ? { file: name, mapping } : { file: name }),
    storage,
    pdfjs: nodePdfJs,
  });
  await api.init('cpu');
  return { api, storage, saved };
}

/** Loads the tiny fixture model (as a Hub id, with a token that must never be kept) and the support FAQ. */
export async function withData(t: Tab) {
  await t.api.loadModel({ kind: 'hub', repoId: 'test/tiny-bert', token: 'secret' }, () => {});
  return t.api.loadDataset('support-faq.jsonl', new Uint8Array(readFileSync(DATA)), { evalFraction: 0.3, seed: 1 });
}

/** Loads the built-in model (always in the repo) and the support FAQ. */
export async function withBuiltin(t: Tab) {
  await t.api.loadModel({ kind: 'builtin' }, () => {});
  return t.api.loadDataset('support-faq.jsonl', new Uint8Array(readFileSync(DATA)), { evalFraction: 0.3, seed: 1 });
}
