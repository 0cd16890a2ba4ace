/** What differs between the browser worker and Node: where backends, models and files come from. */
import type { PdfJsModule } from '../data/pdf/pdf-text.ts';
import type { LoadedTrainingData } from '../data/load.ts';
import type { ColumnMapping } from '../data/shape.ts';
import type { Backend } from '../engine/backend.ts';
import type { ModelFiles } from '../io/load-model.ts';
import type { ProgressCallback } from '../shared/events.ts';
import type { BackendPreference } from '../shared/names.ts';
import type { StudioStorage } from '../storage/studio-storage.ts';
import type { ModelSource } from './protocol.ts';

export interface StudioEnvironment {
  /** fallbackReason: why the backend is not WebGPU, when it is not. */
  createBackend(preference: BackendPreference): Promise<{ backend: Backend; fallbackReason?: string }>;
  resolveModel(source: ModelSource, onProgress: ProgressCallback, signal: AbortSignal): Promise<{ files: ModelFiles; name: string; randomWeights: boolean }>;
  /** A File/Blob is streamed (JSONL) with progress in bytes; bytes come from storage. */
  parseDataset(name: string, data: Uint8Array | Blob, mapping?: ColumnMapping, onProgress?: (loaded: number, total: number | null) => void): Promise<LoadedTrainingData>;
  /** Where runs, their weights and datasets are kept between visits; absent: nothing is kept. */
  storage?: StudioStorage;
  /** pdf.js, for PDFs dropped on the RAG check; absent: PDFs are refused. */
  pdfjs?: () => Promise<PdfJsModule>;
}

/** Why runs and datasets cannot be kept, where they cannot. */
export const NO_STORAGE = 'runs and datasets are not kept here (no browser storage)';

/** The environment's storage, or the reason there is none as an error. */
export function requireStorage(env: StudioEnvironment): StudioStorage {
  if (!env.storage) throw new Error(NO_STORAGE);
  return env.storage;
}
