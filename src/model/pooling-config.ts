// 1_Pooling/config.json of a sentence-transformers model: the pooling mode, read in either of its
// forms and written in the most widely read one.

import { Fields, ModelConfigError, isObject } from './config-fields.ts';

export const POOLING_MODES = ['mean', 'cls', 'max', 'mean_sqrt_len_tokens', 'weightedmean', 'lasttoken'] as const;
export type PoolingMode = (typeof POOLING_MODES)[number];

export interface PoolingConfig {
  mode: PoolingMode;
  /** false: positions covered by the prompt are excluded from pooling (instructor-style models). */
  includePrompt: boolean;
}

/** 1_Pooling/config.json as sentence-transformers 2.x/3.x write it (the most widely read form). */
export interface PoolingConfigJson {
  word_embedding_dimension: number;
  pooling_mode_cls_token: boolean;
  pooling_mode_mean_tokens: boolean;
  pooling_mode_max_tokens: boolean;
  pooling_mode_mean_sqrt_len_tokens: boolean;
  pooling_mode_weightedmean_tokens: boolean;
  pooling_mode_lasttoken: boolean;
  include_prompt: boolean;
}

const OLD_POOLING_KEYS: readonly [string, PoolingMode][] = [
  ['pooling_mode_cls_token', 'cls'],
  ['pooling_mode_mean_tokens', 'mean'],
  ['pooling_mode_max_tokens', 'max'],
  ['pooling_mode_mean_sqrt_len_tokens', 'mean_sqrt_len_tokens'],
  ['pooling_mode_weightedmean_tokens', 'weightedmean'],
  ['pooling_mode_lasttoken', 'lasttoken'],
];

function isPoolingMode(s: string): s is PoolingMode {
  return (POOLING_MODES as readonly string[]).includes(s);
}

/**
 * 1_Pooling/config.json in either form. sentence-transformers lets `pooling_mode` override the
 * boolean keys, so we do too. Several active modes would concatenate vectors; we refuse that.
 */
export function parsePoolingConfig(json: unknown, file = '1_Pooling/config.json', hiddenSize?: number): PoolingConfig {
  if (!isObject(json)) throw new ModelConfigError(file, 'expected a JSON object');
  const f = new Fields(file, json);
  let mode: PoolingMode;

  const modeField = json.pooling_mode;
  if (modeField !== undefined && modeField !== null) {
    const names = Array.isArray(modeField) ? modeField : [modeField];
    if (names.length !== 1 || typeof names[0] !== 'string') {
      f.fail('pooling_mode', `must be one of ${POOLING_MODES.join(', ')}; got ${JSON.stringify(modeField)}`);
    }
    const name = names[0] as string;
    if (!isPoolingMode(name)) f.fail('pooling_mode', `"${name}" is not one of ${POOLING_MODES.join(', ')}`);
    mode = name as PoolingMode;
  } else {
    const active = OLD_POOLING_KEYS.filter(([key]) => f.bool(key, false));
    if (active.length === 0) {
      throw new ModelConfigError(file, `no pooling mode set (neither "pooling_mode" nor any of ${OLD_POOLING_KEYS.map((k) => k[0]).join(', ')})`);
    }
    if (active.length > 1) {
      throw new ModelConfigError(
        file,
        `several pooling modes are true (${active.map((k) => k[0]).join(', ')}); concatenated pooling is not supported`,
      );
    }
    mode = active[0][1];
  }

  if (hiddenSize !== undefined && f.has('word_embedding_dimension')) {
    const dim = f.int('word_embedding_dimension');
    if (dim !== hiddenSize) f.fail('word_embedding_dimension', `is ${dim} but config.json hidden_size is ${hiddenSize}`);
  }
  return { mode, includePrompt: f.bool('include_prompt', true) };
}

/** The old boolean-key form, which every sentence-transformers version and transformers.js read. */
export function poolingConfigToJson(pooling: PoolingConfig, dim: number): PoolingConfigJson {
  return {
    word_embedding_dimension: dim,
    pooling_mode_cls_token: pooling.mode === 'cls',
    pooling_mode_mean_tokens: pooling.mode === 'mean',
    pooling_mode_max_tokens: pooling.mode === 'max',
    pooling_mode_mean_sqrt_len_tokens: pooling.mode === 'mean_sqrt_len_tokens',
    pooling_mode_weightedmean_tokens: pooling.mode === 'weightedmean',
    pooling_mode_lasttoken: pooling.mode === 'lasttoken',
    include_prompt: pooling.includePrompt,
  };
}
