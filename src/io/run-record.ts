import type { ShapeId } from '../data/shape.ts';
import type { TrainingRunConfig } from '../model/training-run.ts';

/**
 * What `train` leaves beside the model it wrote (embedding_studio_run.json): the run's config,
 * where it started and what it read, and how it went. `export` reads it back for the model
 * card's Training Details and to write the "Continue on GPUs" recipe. sentence-transformers and
 * transformers.js ignore the file.
 */
export const RUN_RECORD_FILE = 'embedding_studio_run.json';

export interface RunRecordFile {
  readonly version: 1;
  /** The model folder (or Hub id) training started from. */
  readonly baseModel: string;
  /** The training file, as given. */
  readonly data: string;
  readonly dataShape: ShapeId | null;
  /** The data's columns under sentence-transformers' names, in loss order (anchor, positive, negative…). */
  readonly columns: readonly string[];
  readonly rows: number;
  readonly config: TrainingRunConfig;
  readonly maxSeqLength: number;
  readonly steps: number;
  readonly seconds: number;
  readonly hardware: string;
  readonly losses: readonly { readonly step: number; readonly loss: number }[];
}

export function encodeRunRecord(record: RunRecordFile): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(record, null, 2)}\n`);
}

/** Parses a run record, saying which field is wrong when it is not one. */
export function parseRunRecord(text: string, where: string): RunRecordFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${where}: not JSON (${(e as Error).message})`);
  }
  const r = raw as Partial<RunRecordFile> | null;
  if (!r || typeof r !== 'object' || r.version !== 1) throw new Error(`${where}: not an Embedding Studio run record (version 1)`);
  for (const k of ['baseModel', 'data'] as const) if (typeof r[k] !== 'string') throw new Error(`${where}: "${k}" must be a string`);
  for (const k of ['rows', 'maxSeqLength', 'steps', 'seconds'] as const) if (typeof r[k] !== 'number') throw new Error(`${where}: "${k}" must be a number`);
  const c = r.config;
  if (!c || typeof c !== 'object' || !c.loss || !c.optimizer || typeof c.batchSize !== 'number') throw new Error(`${where}: "config" is not a training config`);
  if (!Array.isArray(r.columns) || r.columns.some((c) => typeof c !== 'string')) throw new Error(`${where}: "columns" must be a list of names`);
  if (!Array.isArray(r.losses)) throw new Error(`${where}: "losses" must be a list`);
  return r as RunRecordFile;
}
