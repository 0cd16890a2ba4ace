import { create } from 'zustand';
import { createJSONStorage, persist } from 'zustand/middleware';
import { DEFAULT_RETRIEVAL, DEFAULT_SPLIT, DEFAULT_TRAINING, type RetrievalSettings, type TrainingConfig } from '../shared/settings.ts';

export type Theme = 'light' | 'dark';

/** Settings and experiments that survive a reload (localStorage); nothing large lives here. */
export interface SettingsState {
  theme: Theme;
  retrieval: RetrievalSettings;
  /** The playground's pinned setting, compared side by side with `retrieval`. */
  pinned: RetrievalSettings | null;
  training: TrainingConfig;
  split: { evalFraction: number; seed: number };
  hub: { endpoint: string; repoId: string };
  /** The model and data the training settings were last suggested for (suggestions apply once per pair). */
  suggestedFor: string | null;
  setSuggestedFor(key: string): void;
  setTheme(theme: Theme): void;
  setRetrieval(patch: Partial<RetrievalSettings>): void;
  setPinned(pinned: RetrievalSettings | null): void;
  setTraining(patch: Partial<TrainingConfig>): void;
  setSplit(patch: Partial<{ evalFraction: number; seed: number }>): void;
  setHub(patch: Partial<{ endpoint: string; repoId: string }>): void;
}

export const useSettings = create<SettingsState>()(
  persist(
    (set) => ({
      theme: typeof matchMedia !== 'undefined' && matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light',
      retrieval: DEFAULT_RETRIEVAL,
      pinned: null,
      training: DEFAULT_TRAINING,
      split: DEFAULT_SPLIT,
      hub: { endpoint: 'https://huggingface.co', repoId: 'sentence-transformers/all-MiniLM-L6-v2' },
      suggestedFor: null,
      setSuggestedFor: (suggestedFor) => set({ suggestedFor }),
      setTheme: (theme) => set({ theme }),
      setRetrieval: (patch) => set((s) => ({ retrieval: { ...s.retrieval, ...patch } })),
      setPinned: (pinned) => set({ pinned }),
      setTraining: (patch) => set((s) => ({ training: { ...s.training, ...patch } })),
      setSplit: (patch) => set((s) => ({ split: { ...s.split, ...patch } })),
      setHub: (patch) => set((s) => ({ hub: { ...s.hub, ...patch } })),
    }),
    { name: 'embedding-studio.settings', version: 1, storage: createJSONStorage(() => localStorage) },
  ),
);
