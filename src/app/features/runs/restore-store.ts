import { create } from 'zustand';
import type { RunSummary } from '../../../worker/protocol.ts';

export interface RestoreNote {
  readonly tone: 'ok' | 'warn';
  readonly text: string;
}

interface RestoreStore {
  notes: readonly RestoreNote[];
  /** Runs that stopped before their end (the tab was closed or crashed) and can go on from a checkpoint. */
  resumable: readonly RunSummary[];
  dismiss(): void;
  /** Takes back the offer to resume one run (it is being resumed or restarted). */
  dropResumable(id: string): void;
}

/** What the page brought back from the last visit, said once at the top of the page (restore-actions.ts). */
export const useRestore = create<RestoreStore>()((set) => ({
  notes: [],
  resumable: [],
  dismiss: () => set({ notes: [], resumable: [] }),
  dropResumable: (id) => set((s) => ({ resumable: s.resumable.filter((r) => r.id !== id) })),
}));
