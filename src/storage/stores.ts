/**
 * The small interfaces the studio stores its records through. In the browser IndexedDB implements
 * them (studio-db.ts); in Node and in tests a Map does (here), so the logic above them is tested
 * without a browser.
 */
import type { DatasetRecord, DatasetSummary, RunRecord } from './records.ts';

export interface RunStore {
  put(run: RunRecord): Promise<void>;
  get(id: string): Promise<RunRecord | undefined>;
  /** Newest first. */
  list(): Promise<RunRecord[]>;
  delete(id: string): Promise<void>;
}

export interface DatasetStore {
  put(dataset: DatasetRecord): Promise<void>;
  get(id: string): Promise<DatasetRecord | undefined>;
  /** Most recently used first; without the bytes. */
  list(): Promise<DatasetSummary[]>;
  delete(id: string): Promise<void>;
}

/** Small session facts (the last model and dataset); the UI's own settings stay in localStorage. */
export interface SettingsStore {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
}

export interface RecordStores {
  readonly runs: RunStore;
  readonly datasets: DatasetStore;
  readonly settings: SettingsStore;
}

export function withoutBytes(d: DatasetRecord): DatasetSummary {
  const { bytes: _bytes, ...rest } = d;
  return rest;
}

/** Structured-clone semantics, so callers cannot change what is stored by mutating what they got. */
function clone<T>(value: T): T {
  return structuredClone(value);
}

export class MemoryRunStore implements RunStore {
  readonly map = new Map<string, RunRecord>();
  async put(run: RunRecord) {
    this.map.set(run.id, clone(run));
  }
  async get(id: string) {
    const r = this.map.get(id);
    return r && clone(r);
  }
  async list() {
    return [...this.map.values()].map(clone).sort((a, b) => b.created - a.created);
  }
  async delete(id: string) {
    this.map.delete(id);
  }
}

export class MemoryDatasetStore implements DatasetStore {
  readonly map = new Map<string, DatasetRecord>();
  async put(d: DatasetRecord) {
    this.map.set(d.id, d);
  }
  async get(id: string) {
    return this.map.get(id);
  }
  async list() {
    return [...this.map.values()].map(withoutBytes).sort((a, b) => b.lastUsed - a.lastUsed);
  }
  async delete(id: string) {
    this.map.delete(id);
  }
}

export class MemorySettingsStore implements SettingsStore {
  readonly map = new Map<string, unknown>();
  async get<T>(key: string) {
    return this.map.has(key) ? clone(this.map.get(key) as T) : undefined;
  }
  async set(key: string, value: unknown) {
    this.map.set(key, clone(value));
  }
  async delete(key: string) {
    this.map.delete(key);
  }
}

export function memoryStores(): RecordStores {
  return { runs: new MemoryRunStore(), datasets: new MemoryDatasetStore(), settings: new MemorySettingsStore() };
}
