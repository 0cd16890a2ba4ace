import { create } from 'zustand';
import type { WeightsState } from '../../../shared/events.ts';

/** The playground's own UI state, kept while the user visits other panels (not persisted). */
interface PlaygroundState {
  query: string;
  weights: WeightsState;
  /** The dataset the query was picked from. */
  datasetFile: string | null;
  setQuery(query: string): void;
  setDatasetFile(file: string | null): void;
  setWeights(weights: WeightsState): void;
}

export const usePlayground = create<PlaygroundState>()((set) => ({
  query: '',
  weights: 'base',
  datasetFile: null,
  setQuery: (query) => set({ query }),
  setDatasetFile: (datasetFile) => set({ datasetFile }),
  setWeights: (weights) => set({ weights }),
}));
