import { useSession } from '../../session-store.ts';
import { useSettings } from '../../settings-store.ts';
import { studio } from '../../worker-client.ts';

/** Makes a dataset saved in this browser the current one: its rows, and the split it was saved with. */
export async function openSavedDataset(id: string) {
  const opened = await studio().openDataset(id);
  useSettings.getState().setSplit(opened.dataset.split);
  useSession.getState().setDataset(opened.info);
  return opened;
}
