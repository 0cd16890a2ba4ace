import { create } from 'zustand';
import { createJSONStorage, persist } from 'zustand/middleware';
import { TRAINER_DEFAULTS } from '../engine/optimizer.ts';
import { DEFAULT_CHECKPOINT_EVERY, DEFAULT_CHECKPOINT_SECONDS, type RetrievalSettings, type TrainingConfig } from '../worker/protocol.ts';

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

export const DEFAULT_RETRIEVAL: RetrievalSettings = {
  pooling: 'mean',
  normalize: true,
  includePrompt: true,
  queryTemplate: '{text}',
  corpusTemplate: '{text}',
};

export const DEFAULT_TRAINING: TrainingConfig = {
  loss: 'mnrl',
  epochs: 1,
  batchSize: 16,
  learningRate: 5e-5,
  warmupSteps: 0,
  weightDecay: 0,
  adamBeta1: TRAINER_DEFAULTS.beta1,
  adamBeta2: TRAINER_DEFAULTS.beta2,
  adamEpsilon: TRAINER_DEFAULTS.eps,
  maxSeqLength: 128,
  scheduler: 'linear',
  seed: 42,
  matryoshkaDims: [],
  evalEvery: 10,
  checkpointEvery: DEFAULT_CHECKPOINT_EVERY,
  checkpointSeconds: DEFAULT_CHECKPOINT_SECONDS,
};

/** A saved config with the fields added since it was saved filled in with their defaults. */
export function withTrainingDefaults(c: TrainingConfig): TrainingConfig {
  return { ...DEFAULT_TRAINING, ...c, checkpointEvery: c.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY, checkpointSeconds: c.checkpointSeconds ?? DEFAULT_CHECKPOINT_SECONDS };
}

export const useSettings = create<SettingsState>()(
  persist(
    (set) => ({
      theme: typeof matchMedia !== 'undefined' && matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light',
      retrieval: DEFAULT_RETRIEVAL,
      pinned: null,
      training: DEFAULT_TRAINING,
      split: { evalFraction: 0.2, seed: 42 },
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
