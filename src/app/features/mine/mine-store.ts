import { create } from 'zustand';
import type { MiningSummary, TripletDatasetResult } from '../../../worker/protocol-checks.ts';
import { DEFAULT_MINE_FORM, type MineForm } from './mine-form.ts';

export interface MineState {
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
}

/** The mining panel's state: the candidates live in the worker (mine-actions.ts); rejections and the cursor here. */
export const useMine = create<MineState>()((set) => ({
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
}));
