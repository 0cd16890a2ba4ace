import type { DatasetInfo } from '../worker/protocol.ts';

export type PanelNeeds = 'nothing' | 'model' | 'data' | 'trained';

/**
 * Why a step of the studio cannot be opened yet, in words (shown on the disabled step), or null
 * when it can. A dataset with no usable rows counts as none: training on it would draw an empty
 * chart and fail.
 */
export function panelBlocker(needs: PanelNeeds, s: { model: boolean; dataset: DatasetInfo | null; trained: boolean }): string | null {
  if (needs === 'nothing') return null;
  if (!s.model) return 'load a model first';
  if (needs === 'model') return null;
  if (needs === 'trained') return s.trained ? null : 'train a model (or reopen a run in Runs) first';
  if (!s.dataset) return 'load a dataset first';
  if (s.dataset.rows === 0) {
    return s.dataset.shape === null
      ? `${s.dataset.file} has no usable rows yet: map its columns in the Data panel`
      : `${s.dataset.file} has no usable rows: every row was refused (see the problems in the Data panel)`;
  }
  if (s.dataset.trainRows === 0) return `${s.dataset.file} has no training rows: lower the eval share in the Data panel`;
  return null;
}
