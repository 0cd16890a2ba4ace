import type { DatasetInfo } from '../../../worker/protocol.ts';
import type { MiningOptions } from '../../../worker/protocol-checks.ts';
import { openJob } from '../../jobs/tracked-job.ts';
import { useSession } from '../../session-store.ts';
import { errorMessage } from '../../ui/use-latest-async.ts';
import { studio } from '../../worker-client.ts';
import { useMine } from './mine-store.ts';
import type { RetrievalSettings } from '../../../shared/settings.ts';

/** Hard-negative mining's worker calls; what they answer goes into useMine. */

const set = useMine.setState;
const get = useMine.getState;

export async function mineNegatives(settings: RetrievalSettings, options: MiningOptions): Promise<void> {
  set({ state: 'mining', error: null, saved: null });
  const job = openJob('mine', 'Mining hard negatives', { progressLabel: (stage) => `Mining: ${stage}` });
  try {
    const summary = await studio().mine(settings, options, job.report);
    set((s) => ({ summary, rejected: new Set(), cursor: 0, state: 'idle', generation: s.generation + 1 }));
  } catch (e) {
    set({ state: 'idle', error: errorMessage(e) });
  } finally {
    job.close();
  }
}

/** The kept triplets (all but the rejected negatives) as JSONL. */
export const minedTripletsJsonl = (): Promise<string> => studio().minedTripletsJsonl([...get().rejected]);

/** Makes the kept triplets the dataset (saved with the others); null when that failed (the store says why). */
export async function trainOnMinedTriplets(): Promise<DatasetInfo | null> {
  set({ state: 'saving', error: null });
  try {
    const { info, result } = await studio().useMinedTriplets([...get().rejected]);
    useSession.getState().setDataset(info);
    set({ state: 'idle', saved: result, summary: null, rejected: new Set(), cursor: 0 });
    return info;
  } catch (e) {
    set({ state: 'idle', error: errorMessage(e) });
    return null;
  }
}

