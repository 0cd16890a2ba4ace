import { create } from 'zustand';
import type { RetrievalSettings } from '../../../worker/protocol.ts';
import { useSession } from '../../session-store.ts';
import { studio } from '../../worker-client.ts';

interface ExportStore {
  status: 'idle' | 'building' | 'ready' | 'failed';
  /** Object URL of the last zip (revoked when a new one replaces it). */
  url: string | null;
  bytes: number;
  files: readonly string[];
  /** Settings + revision the zip was built from, to say when it is out of date. */
  key: string | null;
  error: string | null;
  build(settings: RetrievalSettings, revision: number): Promise<void>;
}

export function exportKey(settings: RetrievalSettings, revision: number): string {
  return JSON.stringify([revision, settings]);
}

/** The built zip outlives the panel, so going to another step and back keeps the download. */
export const useExport = create<ExportStore>()((set, get) => ({
  status: 'idle',
  url: null,
  bytes: 0,
  files: [],
  key: null,
  error: null,
  async build(settings, revision) {
    if (get().status === 'building') return;
    set({ status: 'building', error: null });
    const session = useSession.getState();
    session.setJob('export', { label: 'Building model.zip', done: 0, total: 0 });
    try {
      const result = await studio().exportZip(settings);
      const blob = new Blob([result.zip as Uint8Array<ArrayBuffer>], { type: 'application/zip' });
      const old = get().url;
      if (old) URL.revokeObjectURL(old);
      set({ status: 'ready', url: URL.createObjectURL(blob), bytes: blob.size, files: result.files, key: exportKey(settings, revision) });
    } catch (e) {
      set({ status: 'failed', error: (e as Error).message });
    } finally {
      session.setJob('export', null);
    }
  },
}));

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

/** Files grouped the way the folder reads: top level first, then each subfolder, sorted. */
export function sortFiles(files: readonly string[]): string[] {
  return [...files].sort((a, b) => {
    const da = a.includes('/') ? 1 : 0, db = b.includes('/') ? 1 : 0;
    return da - db || a.localeCompare(b);
  });
}
