import { useCallback, useState } from 'react';
import type { ColumnMapping } from '../../../data/shape.ts';
import { useSession } from '../../session-store.ts';
import { useSettings } from '../../settings-store.ts';
import { errorMessage } from '../../ui/use-latest-async.ts';
import { studio } from '../../worker-client.ts';
import { checkDataFileName } from './data-selectors.ts';

export const DATA_JOB = 'dataset';

/**
 * The bytes of the file loaded last, kept outside React so "reload with this mapping" works even
 * after the panel was left and re-opened. Page memory only; never persisted.
 */
let lastFile: { name: string; bytes: Uint8Array } | null = null;

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

  const run = useCallback(async (label: string, get: () => Promise<{ name: string; bytes: Uint8Array }>, mapping?: ColumnMapping) => {
    const { setJob, setDataset } = useSession.getState();
    if (DATA_JOB in useSession.getState().jobs) return;
    setError(null);
    setJob(DATA_JOB, { label, done: 0, total: 0 });
    try {
      const file = await get();
      const split = useSettings.getState().split;
      const info = await studio().loadDataset(file.name, file.bytes, { evalFraction: split.evalFraction, seed: split.seed }, mapping);
      lastFile = file;
      setDataset(info);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
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
      void run(`Reading ${file.name}…`, async () => ({ name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) }));
    },
    [run],
  );

  const loadSample = useCallback(
    (name: string) =>
      void run(`Loading sample ${name}…`, async () => {
        const response = await fetch(`${import.meta.env.BASE_URL}samples/${name}`);
        if (!response.ok) throw new Error(`samples/${name}: HTTP ${response.status} ${response.statusText}`);
        return { name, bytes: new Uint8Array(await response.arrayBuffer()) };
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
