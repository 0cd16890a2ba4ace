import { create } from 'zustand';
import type { OnnxVerificationReport, ProgressCallback } from '../../../worker/protocol.ts';
import type { RetrievalSettings } from '../../../shared/settings.ts';

/**
 * Runs the exported ONNX files back through transformers.js in the worker. Given the zip just
 * built, it checks exactly those bytes (the buffer moves to the worker: the page keeps only the
 * Blob); without it, the worker exports again with the same settings.
 */
export type VerifyOnnx = (settings: RetrievalSettings, onProgress: ProgressCallback, zip?: Uint8Array) => Promise<OnnxVerificationReport>;

export interface VerificationState {
  readonly status: 'idle' | 'running' | 'done' | 'failed';
  readonly report: OnnxVerificationReport | null;
  readonly error: string | null;
  /** Settings + revision of the export it checked. */
  readonly key: string | null;
}

export const IDLE_VERIFICATION: VerificationState = { status: 'idle', report: null, error: null, key: null };

export interface ExportState {
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
}

export function exportKey(settings: RetrievalSettings, revision: number): string {
  return JSON.stringify([revision, settings]);
}

/** The built zip outlives the panel, so going to another step and back keeps the download (export-actions.ts builds it). */
export const useExport = create<ExportState>()(() => ({
  status: 'idle',
  url: null,
  bytes: 0,
  files: [],
  sizes: {},
  key: null,
  error: null,
  verification: IDLE_VERIFICATION,
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
