/**
 * The one translation from the studio's training settings (what the page, the CLI and saved runs
 * hold) to the engine's run config, so a run started in the page and one scripted with the CLI
 * train the same way.
 */
import { DEFAULT_LOSS } from './losses.ts';
import type { TrainingRunConfig } from './training-run.ts';
import { type RetrievalSettings, TRAINER_DEFAULTS, type TrainingConfig } from '../shared/settings.ts';

/** What a run needs beyond the settings: where it comes from decides these. */
export interface RunConfigOptions {
  /** One prompt per text column (anchor, positive, …); a single one applies to every column. */
  readonly columnPrompts?: readonly string[];
  /** Texts per encoder pass when the batch trains through gradient caching. */
  readonly miniBatchSize?: number | null;
  /** Stop after this many steps instead of after `epochs`. */
  readonly maxSteps?: number;
  readonly shuffle?: boolean;
  readonly maxGradNorm?: number;
}

export function trainingRunConfig(config: TrainingConfig, options: RunConfigOptions = {}): TrainingRunConfig {
  return {
    loss: { ...DEFAULT_LOSS, id: config.loss, matryoshkaDims: config.matryoshkaDims },
    optimizer: {
      ...TRAINER_DEFAULTS,
      lr: config.learningRate,
      weightDecay: config.weightDecay,
      beta1: config.adamBeta1 ?? TRAINER_DEFAULTS.beta1,
      beta2: config.adamBeta2 ?? TRAINER_DEFAULTS.beta2,
      eps: config.adamEpsilon ?? TRAINER_DEFAULTS.eps,
      ...(options.maxGradNorm !== undefined ? { maxGradNorm: options.maxGradNorm } : {}),
    },
    scheduler: config.scheduler,
    warmupSteps: config.warmupSteps,
    batchSize: config.batchSize,
    epochs: config.epochs,
    ...(options.maxSteps !== undefined ? { maxSteps: options.maxSteps } : {}),
    shuffle: options.shuffle ?? true,
    seed: config.seed,
    columnPrompts: options.columnPrompts,
    ...(options.miniBatchSize ? { miniBatchSize: options.miniBatchSize } : {}),
  };
}

/** A prompt template "query: {text}" split into what goes before and after the text. */
export function parseTemplate(template: string): { prefix: string; suffix: string } {
  const at = template.indexOf('{text}');
  if (at < 0) return { prefix: template, suffix: '' };
  return { prefix: template.slice(0, at), suffix: template.slice(at + '{text}'.length) };
}

/** The page's query / document templates as column prompts (their prefixes), or none. */
export function templatePrompts(settings: RetrievalSettings): readonly string[] | undefined {
  const { prefix: queryPrefix } = parseTemplate(settings.queryTemplate);
  const { prefix: corpusPrefix } = parseTemplate(settings.corpusTemplate);
  return queryPrefix || corpusPrefix ? [queryPrefix, corpusPrefix] : undefined;
}

/** The engine's run config for a studio training config (the template prefixes become column prompts). */
export function runConfigFor(config: TrainingConfig, settings: RetrievalSettings, miniBatchSize: number | null): TrainingRunConfig {
  return trainingRunConfig(config, { columnPrompts: templatePrompts(settings), miniBatchSize });
}
