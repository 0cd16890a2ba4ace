/**
 * Whether a folder says its weights are trained. Embedding Studio's own models record it in
 * config_sentence_transformers.json under `embedding_studio` (sentence-transformers ignores keys
 * it does not know), so the studio can tell the pre-trained built-in model from a random init and
 * suggest the learning rate that fits: ~1e-3 from random weights, 2e-5–5e-5 from trained ones.
 */

import type { ModelFiles } from './load-model.ts';

export const ST_CONFIG_FILE = 'config_sentence_transformers.json';

export interface PretrainedMarker {
  readonly pretrained: boolean;
  /** What its card recommends for fine-tuning; absent when the folder says nothing. */
  readonly suggestedLearningRate?: number;
}

export function parsePretrainedMarker(text: string | null): PretrainedMarker | null {
  if (text === null) return null;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const es = typeof json === 'object' && json !== null ? (json as Record<string, unknown>).embedding_studio : undefined;
  if (typeof es !== 'object' || es === null) return null;
  const { pretrained, suggested_learning_rate: lr } = es as Record<string, unknown>;
  if (typeof pretrained !== 'boolean') return null;
  return typeof lr === 'number' && Number.isFinite(lr) && lr > 0 ? { pretrained, suggestedLearningRate: lr } : { pretrained };
}

export async function readPretrainedMarker(files: ModelFiles): Promise<PretrainedMarker | null> {
  return parsePretrainedMarker(await files.readText(ST_CONFIG_FILE));
}

/** How the studio names the built-in model and whether it warns about random weights. */
export async function builtinModelLabel(files: ModelFiles): Promise<{ name: string; randomWeights: boolean }> {
  const pretrained = (await readPretrainedMarker(files))?.pretrained ?? false;
  return { name: pretrained ? 'built-in (pre-trained, en + zh)' : 'built-in (random weights)', randomWeights: !pretrained };
}
