/**
 * Everything the studio keeps between visits, behind one object the worker uses: run records and
 * datasets (record stores), run weights (files), per-run locks across tabs, and the quota.
 * The browser builds it from IndexedDB + OPFS + Web Locks (browser-storage.ts); tests and Node
 * from in-memory parts (memoryStudioStorage).
 */
import type { ColumnMapping } from '../data/shape.ts';
import type { ParamLayout } from '../engine/params.ts';
import { parseSafetensors, writeSafetensors } from '../io/safetensors.ts';
import { packWeights, unpackWeights } from '../model/weights.ts';
import { RunLocks, type LockManagerLike } from './locks.ts';
import { MemoryDisk } from './memory-opfs.ts';
import { RunFiles } from './opfs.ts';
import { estimateStorage, type StorageEstimateInfo, type StorageManagerLike } from './quota.ts';
import {
  type DatasetRecord, type DatasetSummary, type RunRecord, type RunSummary, runHistoryJson, sha256Hex, type StoredModelSource, summarizeRun, upgradeRunRecord,
} from './records.ts';
import { memoryStores, type RecordStores, withoutBytes } from './stores.ts';

export const LAST_MODEL_KEY = 'lastModel';
export const LAST_DATASET_KEY = 'lastDataset';
export const RAG_DOCUMENT_KEY = 'ragDocument';

/** The RAG check's document, kept with the workspace: its file and how it was chunked. */
export interface SavedDocument {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly chunking: { readonly size: number; readonly overlap: number };
}

export interface StudioStorageParts {
  /** Opened on first use; a rejection (no IndexedDB) is reported by each call that needs it. */
  readonly stores: () => Promise<RecordStores>;
  readonly files: RunFiles;
  readonly locks: RunLocks;
  readonly storageManager: StorageManagerLike | null;
  readonly now?: () => number;
}

export interface SaveRunResult {
  readonly record: RunRecord;
  /** Why the weights were not saved (the record was), e.g. a full disk. */
  readonly weightsProblem?: string;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A trained parameter buffer as a safetensors file (the names sentence-transformers uses). */
export function encodeRunWeights(layout: ParamLayout, params: Float32Array, metadata: Record<string, string> = {}): Uint8Array {
  if (params.length !== layout.totalSize) throw new Error(`the weights have ${params.length} values, the model ${layout.totalSize}`);
  return writeSafetensors(unpackWeights(layout, params), { format: 'pt', ...metadata });
}

/** The inverse, checked against the loaded model's layout. */
export function decodeRunWeights(layout: ParamLayout, bytes: Uint8Array, source = 'weights.safetensors'): Float32Array {
  return packWeights(layout, parseSafetensors(bytes, source).tensors, source);
}

export class StudioStorage {
  readonly files: RunFiles;
  readonly locks: RunLocks;
  private readonly openStores: () => Promise<RecordStores>;
  private readonly storageManager: StorageManagerLike | null;
  private readonly now: () => number;

  constructor(parts: StudioStorageParts) {
    let opened: Promise<RecordStores> | null = null;
    this.openStores = () => (opened ??= parts.stores());
    this.files = parts.files;
    this.locks = parts.locks;
    this.storageManager = parts.storageManager;
    this.now = parts.now ?? Date.now;
  }

  stores(): Promise<RecordStores> {
    return this.openStores();
  }

  // ---- runs ---------------------------------------------------------------------------------------

  /**
   * Saves a run's record and, when given, its weights (first, atomically), under the run's lock.
   * A full disk while writing the weights keeps the previous weights file and still saves the
   * record, with the problem noted; a full disk for the record itself throws.
   */
  async saveRun(record: RunRecord, weights?: Uint8Array, weightsStep: number = record.step): Promise<SaveRunResult> {
    const stores = await this.stores();
    return this.locks.with(record.id, async () => {
      let saved = record;
      let weightsProblem: string | undefined;
      if (weights) {
        try {
          const w = await this.files.writeWeights(record.id, weights);
          const { weightsProblem: _dropped, ...rest } = record;
          saved = { ...rest, weights: { file: w.file, bytes: w.bytes, step: weightsStep } };
        } catch (e) {
          weightsProblem = message(e);
          saved = { ...record, weightsProblem };
        }
      }
      await stores.runs.put(saved);
      return weightsProblem ? { record: saved, weightsProblem } : { record: saved };
    });
  }

  /**
   * Saves a run's training checkpoint (first, atomically) and its record, under the run's lock. A
   * full disk keeps the previous checkpoint file and the record's reference to it, and says why.
   */
  async saveCheckpoint(record: RunRecord, checkpoint: Uint8Array, step: number): Promise<{ record: RunRecord; checkpointProblem?: string }> {
    const stores = await this.stores();
    return this.locks.with(record.id, async () => {
      let saved: RunRecord;
      let checkpointProblem: string | undefined;
      try {
        const w = await this.files.writeCheckpoint(record.id, checkpoint);
        const { checkpointProblem: _dropped, ...rest } = record;
        saved = { ...rest, checkpoint: { file: w.file, bytes: w.bytes, step } };
      } catch (e) {
        checkpointProblem = message(e);
        saved = { ...record, checkpointProblem };
      }
      try {
        await stores.runs.put(saved);
      } catch (e) {
        // The new file is in place but the record still names the old one: a resume reads
        // whichever complete copy is newest (see StudioApi.readCheckpoint), so nothing is lost.
        checkpointProblem ??= message(e);
      }
      return checkpointProblem ? { record: saved, checkpointProblem } : { record: saved };
    });
  }

  /** Lets go of a run's checkpoint file, under the run's lock. */
  async deleteCheckpoint(id: string): Promise<void> {
    await this.locks.with(id, () => this.files.deleteCheckpoint(id));
  }

  async listRuns(): Promise<RunSummary[]> {
    return (await (await this.stores()).runs.list()).map((r) => summarizeRun(upgradeRunRecord(r)));
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    const record = await (await this.stores()).runs.get(id);
    return record && upgradeRunRecord(record);
  }

  async requireRun(id: string): Promise<RunRecord> {
    const r = await this.getRun(id);
    if (!r) throw new Error(`run ${id} is not saved here (deleted, perhaps in another tab)`);
    return r;
  }

  /** Deletes a run's record and files; refused while another tab has the run open. */
  async deleteRun(id: string): Promise<void> {
    const stores = await this.stores();
    await this.locks.with(id, async () => {
      await this.files.deleteRun(id);
      await stores.runs.delete(id);
    });
    this.locks.release(id);
  }

  async readRunWeights(record: RunRecord): Promise<Uint8Array> {
    if (!record.weights) {
      throw new Error(`run ${record.id} has no saved weights${record.weightsProblem ? `: ${record.weightsProblem}` : ' (it failed before any were saved)'}`);
    }
    const bytes = await this.files.readWeights(record.id, record.weights.bytes);
    if (!bytes) throw new Error(`the weights file of run ${record.id} is missing or damaged (the browser may have cleared site data)`);
    return bytes;
  }

  async exportRunHistory(id: string): Promise<string> {
    return runHistoryJson(await this.requireRun(id));
  }

  // ---- datasets -----------------------------------------------------------------------------------

  /** Keeps a loaded file (the same bytes are one record) and remembers it as the last dataset. */
  async saveDataset(name: string, bytes: Uint8Array, mapping: ColumnMapping | null, split: { evalFraction: number; seed: number }): Promise<DatasetSummary> {
    const stores = await this.stores();
    const id = `ds-${await sha256Hex(bytes, 24)}`;
    const existing = await stores.datasets.get(id);
    const now = this.now();
    const record: DatasetRecord = {
      id,
      name,
      bytes: existing?.bytes ?? new Blob([bytes as Uint8Array<ArrayBuffer>]),
      size: bytes.length,
      mapping,
      split: { evalFraction: split.evalFraction, seed: split.seed },
      added: existing?.added ?? now,
      lastUsed: now,
    };
    await stores.datasets.put(record);
    await stores.settings.set(LAST_DATASET_KEY, id);
    return withoutBytes(record);
  }

  async updateDataset(id: string, patch: Partial<Pick<DatasetRecord, 'mapping' | 'split'>>): Promise<void> {
    const stores = await this.stores();
    const existing = await stores.datasets.get(id);
    if (existing) await stores.datasets.put({ ...existing, ...patch, lastUsed: this.now() });
  }

  async listDatasets(): Promise<DatasetSummary[]> {
    return (await this.stores()).datasets.list();
  }

  /** A saved dataset with its bytes, marked as the last one used. */
  async openDataset(id: string): Promise<{ summary: DatasetSummary; bytes: Uint8Array }> {
    const stores = await this.stores();
    const record = await stores.datasets.get(id);
    if (!record) throw new Error(`the saved dataset ${id} is gone (deleted, perhaps in another tab)`);
    const bytes = new Uint8Array(await record.bytes.arrayBuffer());
    const touched = { ...record, lastUsed: this.now() };
    await stores.datasets.put(touched);
    await stores.settings.set(LAST_DATASET_KEY, id);
    return { summary: withoutBytes(touched), bytes };
  }

  async deleteDataset(id: string): Promise<void> {
    const stores = await this.stores();
    await stores.datasets.delete(id);
    if ((await stores.settings.get<string>(LAST_DATASET_KEY)) === id) await stores.settings.delete(LAST_DATASET_KEY);
  }

  // ---- the RAG check's document -----------------------------------------------------------------

  async saveDocument(doc: SavedDocument): Promise<void> {
    await (await this.stores()).settings.set(RAG_DOCUMENT_KEY, doc);
  }

  async lastDocument(): Promise<SavedDocument | null> {
    return (await (await this.stores()).settings.get<SavedDocument>(RAG_DOCUMENT_KEY)) ?? null;
  }

  async forgetDocument(): Promise<void> {
    await (await this.stores()).settings.delete(RAG_DOCUMENT_KEY);
  }

  // ---- the last session ---------------------------------------------------------------------------

  async rememberModel(source: StoredModelSource): Promise<void> {
    await (await this.stores()).settings.set(LAST_MODEL_KEY, source);
  }

  /** What to restore on reload: the model choice and the last dataset (if it is still saved). */
  async lastSession(): Promise<{ model: StoredModelSource | null; dataset: DatasetSummary | null }> {
    const stores = await this.stores();
    const model = (await stores.settings.get<StoredModelSource>(LAST_MODEL_KEY)) ?? null;
    const datasetId = await stores.settings.get<string>(LAST_DATASET_KEY);
    const dataset = datasetId ? await stores.datasets.get(datasetId) : undefined;
    return { model, dataset: dataset ? withoutBytes(dataset) : null };
  }

  // ---- quota --------------------------------------------------------------------------------------

  estimate(): Promise<StorageEstimateInfo> {
    return estimateStorage(this.storageManager);
  }
}

/** In-memory storage for Node and tests: a Map per store, a MemoryDisk for files. */
export function memoryStudioStorage(options: { disk?: MemoryDisk; locks?: LockManagerLike | null; now?: () => number; stores?: RecordStores } = {}): StudioStorage {
  const disk = options.disk ?? new MemoryDisk();
  const stores = options.stores ?? memoryStores();
  return new StudioStorage({
    stores: async () => stores,
    files: new RunFiles(async () => disk.root),
    locks: new RunLocks(options.locks ?? null),
    storageManager: {
      estimate: async () => ({ usage: disk.used, quota: Number.isFinite(disk.quota) ? disk.quota : 0 }),
      persisted: async () => false,
    },
    now: options.now,
  });
}
