import { errorMessage } from '../ui/use-latest-async.ts';

/** A store's "working on it" status: what an action is busy with, and the last action's error. */
export interface BusyStatus<B> {
  busy: B | null;
  error: string | null;
}

/**
 * Runs one action of a feature with its store's status kept: `busy` while it runs, the error
 * cleared at the start and set to its message when it throws (the action itself never rejects).
 */
export async function runBusy<B>(store: { setState(patch: Partial<BusyStatus<B>>): void }, busy: B, work: () => Promise<void>): Promise<void> {
  store.setState({ busy, error: null });
  try {
    await work();
  } catch (e) {
    store.setState({ error: errorMessage(e) });
  } finally {
    store.setState({ busy: null });
  }
}
