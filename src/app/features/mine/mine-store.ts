import { create } from 'zustand';
import type { DatasetInfo } from '../../../worker/protocol.ts';
import type { MiningOptions, MiningSummary, TripletDatasetResult } from '../../../worker/protocol-checks.ts';
import { useSession } from '../../session-store.ts';
import { errorMessage } from '../../ui/use-latest-async.ts';
import { callback, studio } from '../../worker-client.ts';
import { DEFAULT_MINE_FORM, type MineForm } from './mine-form.ts';
import type { RetrievalSettings } from '../../../shared/settings.ts';

interface MineState {
  form: MineForm;
  summary: MiningSummary | null;
  /** Keys ("pair:negative") of the negatives a person rejected as false negatives. */
  rejected: ReadonlySet<string>;
  cursor: number;
  state: 'idle' | 'mining' | 'saving';
  error: string | null;
  saved: TripletDatasetResult | null;
  /** Bumped per mining, so the table refetches its pages. */
  generation: number;
  setForm(patch: Partial<MineForm>): void;
  setCursor(row: number): void;
  toggle(key: string): void;
  mine(settings: RetrievalSettings, options: MiningOptions): Promise<void>;
  exportJsonl(): Promise<string>;
  useForTraining(): Promise<DatasetInfo | null>;
}

/** The mining panel's state: the candidates live in the worker; rejections and the cursor here. */
export const useMine = create<MineState>()((set, get) => ({
  form: DEFAULT_MINE_FORM,
  summary: null,
  rejected: new Set(),
  cursor: 0,
  state: 'idle',
  error: null,
  saved: null,
  generation: 0,
  setForm: (patch) => set((s) => ({ form: { ...s.form, ...patch } })),
  setCursor: (cursor) => set({ cursor }),
  toggle: (key) =>
    set((s) => {
      const rejected = new Set(s.rejected);
      if (rejected.has(key)) rejected.delete(key);
      else rejected.add(key);
      return { rejected };
    }),
  async mine(settings, options) {
    set({ state: 'mining', error: null, saved: null });
    const session = useSession.getState();
    session.setJob('mine', { label: 'Mining hard negatives', done: 0, total: 0 });
    // Progress comes over its own message channel and can arrive after the answer: once the job
    // is over, a late report must not bring its bar back.
    let over = false;
    try {
      const summary = await studio().mine(settings, options, callback((stage: string, done: number, total: number) => {
        if (!over) useSession.getState().setJob('mine', { label: `Mining: ${stage}`, done, total });
      }));
      set((s) => ({ summary, rejected: new Set(), cursor: 0, state: 'idle', generation: s.generation + 1 }));
    } catch (e) {
      set({ state: 'idle', error: errorMessage(e) });
    } finally {
      over = true;
      useSession.getState().setJob('mine', null);
    }
  },
  exportJsonl: () => studio().minedTripletsJsonl([...get().rejected]),
  async useForTraining() {
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
  },
}));
