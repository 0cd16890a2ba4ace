/**
 * IndexedDB behind the record-store interfaces (through `idb`). One database, three object
 * stores: datasets (with the file's bytes as a Blob), runs (history, no weights) and settings.
 */
import { type DBSchema, type IDBPDatabase, openDB } from 'idb';
import type { DatasetRecord, RunRecord } from './records.ts';
import { type DatasetStore, type RecordStores, type RunStore, type SettingsStore, withoutBytes } from './stores.ts';
import { storageProblem } from './quota.ts';

export const STUDIO_DB_NAME = 'embedding-studio';
export const STUDIO_DB_VERSION = 1;

interface StudioSchema extends DBSchema {
  datasets: { key: string; value: DatasetRecord; indexes: { lastUsed: number } };
  runs: { key: string; value: RunRecord; indexes: { created: number } };
  settings: { key: string; value: unknown };
}

export type StudioDb = IDBPDatabase<StudioSchema>;

export function openStudioDb(factory?: IDBFactory): Promise<StudioDb> {
  if (!factory && typeof indexedDB === 'undefined') return Promise.reject(new Error('this browser has no IndexedDB (private browsing?): runs and datasets are not kept'));
  return openDB<StudioSchema>(STUDIO_DB_NAME, STUDIO_DB_VERSION, {
    upgrade(db, oldVersion) {
      if (oldVersion < 1) {
        db.createObjectStore('datasets', { keyPath: 'id' }).createIndex('lastUsed', 'lastUsed');
        db.createObjectStore('runs', { keyPath: 'id' }).createIndex('created', 'created');
        db.createObjectStore('settings');
      }
    },
    blocking() {
      // Another tab upgrades the schema: let it, this tab reopens on its next call.
      void 0;
    },
  });
}

/** IndexedDB write errors (a full disk above all) become messages a person can act on. */
async function guarded<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    throw storageProblem(e, what);
  }
}

class IdbRunStore implements RunStore {
  constructor(private readonly db: StudioDb) {}
  put(run: RunRecord) {
    return guarded(`saving run ${run.id}`, async () => void (await this.db.put('runs', run)));
  }
  get(id: string) {
    return this.db.get('runs', id);
  }
  async list() {
    return (await this.db.getAllFromIndex('runs', 'created')).reverse();
  }
  delete(id: string) {
    return this.db.delete('runs', id);
  }
}

class IdbDatasetStore implements DatasetStore {
  constructor(private readonly db: StudioDb) {}
  put(d: DatasetRecord) {
    return guarded(`saving dataset ${d.name}`, async () => void (await this.db.put('datasets', d)));
  }
  get(id: string) {
    return this.db.get('datasets', id);
  }
  async list() {
    // Blobs come back as handles: the files' bytes are not read to list them.
    return (await this.db.getAllFromIndex('datasets', 'lastUsed')).reverse().map(withoutBytes);
  }
  delete(id: string) {
    return this.db.delete('datasets', id);
  }
}

class IdbSettingsStore implements SettingsStore {
  constructor(private readonly db: StudioDb) {}
  async get<T>(key: string) {
    return (await this.db.get('settings', key)) as T | undefined;
  }
  set(key: string, value: unknown) {
    return guarded(`saving ${key}`, async () => void (await this.db.put('settings', value, key)));
  }
  delete(key: string) {
    return this.db.delete('settings', key);
  }
}

export function idbStores(db: StudioDb): RecordStores {
  return { runs: new IdbRunStore(db), datasets: new IdbDatasetStore(db), settings: new IdbSettingsStore(db) };
}
