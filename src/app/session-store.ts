import { create } from 'zustand';
import type { DatasetInfo, ModelInfo } from '../worker/protocol.ts';
import type { BackendInfo } from '../shared/events.ts';

export interface JobStatus {
  readonly label: string;
  readonly done: number;
  readonly total: number;
  /** Stops the job; the job bar offers it as Cancel. Kept across progress updates once given. */
  readonly cancel?: () => void;
  /** When this stage of the job (its label without counts) began: the ETA is measured from it. Set by setJob. */
  readonly stageStartedAt?: number;
}

/** A label's stage: the words without the counts that change with every update. */
function stageOf(label: string): string {
  return label.replace(/[\d.,/%]+/g, '#');
}

export type PanelId = 'model' | 'data' | 'mine' | 'playground' | 'train' | 'compare' | 'rag' | 'export' | 'runs';

/** What the worker told us about this session: UI state and job status only, never tensors. */
export interface SessionState {
  backend: BackendInfo | null;
  backendError: string | null;
  model: ModelInfo | null;
  dataset: DatasetInfo | null;
  /** True once a run has produced fine-tuned weights. */
  trained: boolean;
  /** Which run the fine-tuned weights come from, in words ("the run of 12 May, 14:03, step 15 of 15"). */
  trainedFrom: string | null;
  /** Bumped whenever the weights or the data change, so panels refetch what they show. */
  revision: number;
  jobs: Record<string, JobStatus>;
  panel: PanelId;
  setBackend(info: BackendInfo | null, error?: string): void;
  setModel(info: ModelInfo): void;
  setDataset(info: DatasetInfo): void;
  setTrained(trained: boolean, from?: string): void;
  setJob(id: string, status: JobStatus | null): void;
  setPanel(panel: PanelId): void;
}

export const useSession = create<SessionState>()((set) => ({
  backend: null,
  backendError: null,
  model: null,
  dataset: null,
  trained: false,
  trainedFrom: null,
  revision: 0,
  jobs: {},
  panel: 'model',
  setBackend: (backend, error) => set({ backend, backendError: error ?? null }),
  setModel: (model) => set((s) => ({ model, trained: false, trainedFrom: null, revision: s.revision + 1 })),
  setDataset: (dataset) => set((s) => ({ dataset, revision: s.revision + 1 })),
  setTrained: (trained, from) => set((s) => ({ trained, trainedFrom: trained ? (from ?? s.trainedFrom) : null, revision: s.revision + 1 })),
  setJob: (id, status) =>
    set((s) => {
      const jobs = { ...s.jobs };
      const was = jobs[id];
      if (status) {
        const sameStage = was !== undefined && stageOf(was.label) === stageOf(status.label) && status.done >= was.done;
        jobs[id] = {
          ...status,
          cancel: status.cancel ?? was?.cancel,
          stageStartedAt: sameStage && was.stageStartedAt !== undefined ? was.stageStartedAt : Date.now(),
        };
      } else delete jobs[id];
      return { jobs };
    }),
  setPanel: (panel) => set({ panel }),
}));
