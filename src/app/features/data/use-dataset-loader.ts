import { useCallback, useState } from 'react';
import { useSession } from '../../session-store.ts';
import { useSettings } from '../../settings-store.ts';
import { errorMessage } from '../../ui/use-latest-async.ts';
import { callback, studio } from '../../worker-client.ts';
import { checkDataFileName } from './data-selectors.ts';
import type { ColumnMapping } from '../../../worker/protocol.ts';

export const DATA_JOB = 'dataset';

/** A dataset file for the worker: a File/Blob (streamed there, never read here) or bytes. */
interface DataFile {
  readonly name: string;
  readonly data: Blob | Uint8Array;
}

/**
 * The file loaded last (a File is only a handle to the disk), kept outside React so "reload with
 * this mapping" works even after the panel was left and re-opened. Page memory only; never persisted.
 */
let lastFile: DataFile | null = null;

export function hasLastFile(): boolean {
  return lastFile !== null;
}

export const SAMPLES = [
  { file: 'support-faq.jsonl', title: 'Support FAQ', note: 'customer-support questions and answers, English + Chinese; query / positive / negative' },
  { file: 'sts-pairs.jsonl', title: 'STS pairs', note: 'sentence pairs with a similarity score 0–1' },
] as const;

/** Loads files into the worker's dataset with progress and errors; one load at a time. */
export function useDatasetLoader() {
  const loading = useSession((s) => DATA_JOB in s.jobs);
  const [error, setError] = useState<string | null>(null);

  const run = useCallback(async (label: string, get: () => Promise<DataFile>, mapping?: ColumnMapping) => {
    const { setJob, setDataset } = useSession.getState();
    if (DATA_JOB in useSession.getState().jobs) return;
    setError(null);
    setJob(DATA_JOB, { label, done: 0, total: 0 });
    // Progress arrives on its own message channel and may land after the result: ignore it then.
    let finished = false;
    try {
      const file = await get();
      const split = useSettings.getState().split;
      // Bytes read by the worker's parser: a large file shows its progress while it is parsed.
      const onProgress = callback((_stage: string, done: number, total: number) => {
        if (!finished) useSession.getState().setJob(DATA_JOB, { label, done, total });
      });
      const info = await studio().loadDataset(file.name, file.data, { evalFraction: split.evalFraction, seed: split.seed }, mapping, onProgress);
      lastFile = file;
      setDataset(info);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      finished = true;
      setJob(DATA_JOB, null);
    }
  }, []);

  const loadFile = useCallback(
    (file: File) => {
      const problem = checkDataFileName(file.name);
      if (problem) {
        setError(problem);
        return;
      }
      void run(`Reading ${file.name}…`, async () => ({ name: file.name, data: file }));
    },
    [run],
  );

  const loadSample = useCallback(
    (name: string) =>
      void run(`Loading sample ${name}…`, async () => {
        const response = await fetch(`${import.meta.env.BASE_URL}samples/${name}`);
        if (!response.ok) throw new Error(`samples/${name}: HTTP ${response.status} ${response.statusText}`);
        return { name, data: await response.blob() };
      }),
    [run],
  );

  /** Reads the last file again with a hand-made mapping, or with detection (`undefined`). */
  const reload = useCallback(
    (mapping: ColumnMapping | undefined) => {
      const file = lastFile;
      if (!file) {
        setError('the file is no longer in memory; load it again');
        return;
      }
      void run(mapping ? `Re-reading ${file.name} with your mapping…` : `Re-reading ${file.name}…`, async () => file, mapping);
    },
    [run],
  );

  return { loading, error, loadFile, loadSample, reload };
}
