import { create } from 'zustand';
import type { WeightsState } from '../../../worker/protocol.ts';

/** The playground's own UI state, kept while the user visits other panels (not persisted). */
interface PlaygroundState {
  query: string;
  weights: WeightsState;
  setQuery(query: string): void;
  setWeights(weights: WeightsState): void;
}

export const usePlayground = create<PlaygroundState>()((set) => ({
  query: '',
  weights: 'base',
  setQuery: (query) => set({ query }),
  setWeights: (weights) => set({ weights }),
}));
