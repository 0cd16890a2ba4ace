import * as Comlink from 'comlink';
import { create } from 'zustand';
import type { OnnxVerificationReport, ProgressCallback } from '../../../worker/protocol.ts';
import { useSession } from '../../session-store.ts';
import { callback, studio } from '../../worker-client.ts';
import type { RetrievalSettings } from '../../../shared/settings.ts';

/**
 * Runs the exported ONNX files back through transformers.js in the worker. Given the zip just
 * built, it checks exactly those bytes (the buffer moves to the worker: the page keeps only the
 * Blob); without it, the worker exports again with the same settings.
 */
export type VerifyOnnx = (settings: RetrievalSettings, onProgress: ProgressCallback, zip?: Uint8Array) => Promise<OnnxVerificationReport>;

export const workerVerifyOnnx: VerifyOnnx = (settings, onProgress, zip) =>
  studio().verifyOnnx(settings, callback(onProgress), zip ? Comlink.transfer(zip, [zip.buffer as ArrayBuffer]) : undefined);

export interface VerificationState {
  readonly status: 'idle' | 'running' | 'done' | 'failed';
  readonly report: OnnxVerificationReport | null;
  readonly error: string | null;
  /** Settings + revision of the export it checked. */
  readonly key: string | null;
}

const IDLE: VerificationState = { status: 'idle', report: null, error: null, key: null };

interface ExportStore {
  status: 'idle' | 'building' | 'ready' | 'failed';
  /** Object URL of the last zip (revoked when a new one replaces it). */
  url: string | null;
  bytes: number;
  files: readonly string[];
  /** Each file's size in bytes, by path. */
  sizes: Readonly<Record<string, number>>;
  /** Settings + revision the zip was built from, to say when it is out of date. */
  key: string | null;
  error: string | null;
  verification: VerificationState;
  /** Builds the zip; with `verify`, then checks its ONNX files (the download is offered meanwhile). */
  build(settings: RetrievalSettings, revision: number, verify?: VerifyOnnx): Promise<void>;
  verify(settings: RetrievalSettings, revision: number, verify: VerifyOnnx, zip?: Uint8Array): Promise<void>;
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
  sizes: {},
  key: null,
  error: null,
  verification: IDLE,
  async build(settings, revision, verify) {
    if (get().status === 'building') return;
    set({ status: 'building', error: null });
    const session = useSession.getState();
    session.setJob('export', { label: 'Building model.zip', done: 0, total: 0 });
    let zip: Uint8Array | null = null;
    try {
      const result = await studio().exportZip(settings);
      const blob = new Blob([result.zip as Uint8Array<ArrayBuffer>], { type: 'application/zip' });
      const old = get().url;
      if (old) URL.revokeObjectURL(old);
      set({ status: 'ready', url: URL.createObjectURL(blob), bytes: blob.size, files: result.files, sizes: result.sizes, key: exportKey(settings, revision), verification: IDLE });
      zip = result.zip;
    } catch (e) {
      set({ status: 'failed', error: (e as Error).message });
    } finally {
      session.setJob('export', null);
    }
    if (zip && verify && get().files.some((f) => f.startsWith('onnx/'))) await get().verify(settings, revision, verify, zip);
  },
  async verify(settings, revision, verify, zip) {
    if (get().verification.status === 'running') return;
    const key = exportKey(settings, revision);
    set({ verification: { status: 'running', report: null, error: null, key } });
    const session = useSession.getState();
    session.setJob('verify-onnx', { label: 'Verifying ONNX files', done: 0, total: 0, cancel: () => void studio().cancelJob() });
    try {
      const report = await verify(settings, (stage, done, total) => session.setJob('verify-onnx', { label: `ONNX check: ${stage}`, done, total }), zip);
      set({ verification: { status: 'done', report, error: null, key } });
    } catch (e) {
      const err = e as Error;
      set({ verification: { status: 'failed', report: null, error: err.name === 'AbortError' ? 'cancelled' : err.message, key } });
    } finally {
      session.setJob('verify-onnx', null);
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
