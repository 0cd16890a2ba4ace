import type { TrainingRunConfig } from '../model/training-run.ts';
import type { CardValue } from './model-card.ts';
import { LOSS_NAMES, type LossId } from '../shared/names.ts';

/**
 * Our training configuration in sentence-transformers' terms: the loss class and its arguments,
 * the SentenceTransformerTrainingArguments that reproduce the optimizer and schedule, the
 * training prompts per column, and every option that has no exact equivalent there, said in
 * words. The model card and the "Continue on GPUs" recipe both read it, so they cannot disagree.
 */

/** A studio run as the recipe and the card need it: the engine's run config plus what lives around it. */
export interface StudioRunDescription {
  readonly config: TrainingRunConfig;
  /** Tokens per text (sentence-transformers' max_seq_length). */
  readonly maxSeqLength: number;
  /** The training data's column names, in the order the loss reads them (e.g. anchor, positive, negative). */
  readonly columns: readonly string[];
  /** Evaluate every this many steps (0 or absent: only before and after training). */
  readonly evalEvery?: number;
  /** Save a checkpoint every this many steps (0 or absent: only at the end). */
  readonly checkpointEvery?: number;
  /** Text the studio's prompt templates put after {text} (query, document): sentence-transformers has no suffix prompts. */
  readonly promptSuffixes?: { readonly query?: string; readonly document?: string };
}

export interface StLoss {
  /** e.g. 'MultipleNegativesRankingLoss' (the inner loss when Matryoshka wraps it). */
  readonly className: string;
  readonly parameters: Readonly<Record<string, CardValue>>;
  /** The Python expression that builds it, given `model` and `losses` in scope. */
  readonly python: string;
  /** The name the card shows: 'MatryoshkaLoss' around the inner loss, or the loss itself. */
  readonly cardName: string;
  readonly cardParameters: Readonly<Record<string, CardValue>>;
}

export interface StRunMapping {
  readonly loss: StLoss;
  /** SentenceTransformerTrainingArguments keyword arguments (output_dir and the eval settings aside). */
  readonly args: Readonly<Record<string, CardValue>>;
  /** Column name → prompt, for SentenceTransformerTrainingArguments(prompts=…); null without prompts. */
  readonly prompts: Readonly<Record<string, string>> | null;
  /** Rows of "what maps to what": studio option, its value, the sentence-transformers side. */
  readonly table: readonly { readonly studio: string; readonly value: string; readonly st: string }[];
  /** Options with no exact sentence-transformers equivalent, and what the recipe does instead. */
  readonly notes: readonly string[];
}

const py = (v: CardValue): string => (v === null ? 'None' : typeof v === 'boolean' ? (v ? 'True' : 'False') : typeof v === 'string' ? JSON.stringify(v) : pyNumber(v));

/** A float literal Python reads back as the same double (integers stay integers). */
function pyNumber(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`cannot write ${n} as a Python number`);
  return String(n);
}

const pyFloat = (n: number) => (Number.isInteger(n) ? `${n}.0` : pyNumber(n));

function innerLoss(id: LossId, config: TrainingRunConfig): { className: string; parameters: Record<string, CardValue>; python: string } {
  const { scale, tripletMargin } = config.loss;
  switch (id) {
    case 'mnrl':
      if (config.miniBatchSize !== undefined) {
        // Gradient caching is what CachedMultipleNegativesRankingLoss does: same loss, same gradients.
        return {
          className: 'CachedMultipleNegativesRankingLoss',
          parameters: { scale, similarity_fct: 'cos_sim', mini_batch_size: config.miniBatchSize },
          python: `losses.CachedMultipleNegativesRankingLoss(model, scale=${pyFloat(scale)}, mini_batch_size=${config.miniBatchSize})`,
        };
      }
      return {
        className: 'MultipleNegativesRankingLoss',
        parameters: { scale, similarity_fct: 'cos_sim' },
        // Gathering keeps every device's texts as negatives: N GPUs see the batch one GPU would.
        python: `losses.MultipleNegativesRankingLoss(model, scale=${pyFloat(scale)}, gather_across_devices=WORLD_SIZE > 1)`,
      };
    case 'cosine':
      return { className: 'CosineSimilarityLoss', parameters: { loss_fct: 'MSELoss' }, python: 'losses.CosineSimilarityLoss(model)' };
    case 'cosent':
      return { className: 'CoSENTLoss', parameters: { scale, similarity_fct: 'pairwise_cos_sim' }, python: `losses.CoSENTLoss(model, scale=${pyFloat(scale)})` };
    case 'triplet':
      return {
        className: 'TripletLoss',
        parameters: { distance_metric: 'TripletDistanceMetric.EUCLIDEAN', triplet_margin: tripletMargin },
        python: `losses.TripletLoss(model, distance_metric=losses.TripletDistanceMetric.EUCLIDEAN, triplet_margin=${pyFloat(tripletMargin)})`,
      };
  }
}

export function stLoss(config: TrainingRunConfig): StLoss {
  const inner = innerLoss(config.loss.id, config);
  const dims = config.loss.matryoshkaDims;
  if (dims.length === 0) return { ...inner, cardName: inner.className, cardParameters: inner.parameters };
  const weights = config.loss.matryoshkaWeights ?? dims.map(() => 1);
  if (weights.length !== dims.length) throw new Error(`Matryoshka: ${dims.length} dimensions but ${weights.length} weights`);
  return {
    ...inner,
    python: `losses.MatryoshkaLoss(model, ${inner.python}, matryoshka_dims=[${dims.join(', ')}], matryoshka_weights=[${weights.map(pyFloat).join(', ')}])`,
    cardName: 'MatryoshkaLoss',
    cardParameters: { loss: inner.className, matryoshka_dims: JSON.stringify(dims), matryoshka_weights: JSON.stringify(weights), n_dims_per_step: -1 },
  };
}

/** Column → prompt, as the engine's columnPrompts apply them (column c gets prompts[min(c, last)]). */
export function columnPromptMap(config: TrainingRunConfig, columns: readonly string[]): Record<string, string> | null {
  const prompts = config.columnPrompts ?? [];
  if (prompts.length === 0) return null;
  const out: Record<string, string> = {};
  columns.forEach((c, i) => {
    const p = prompts[Math.min(i, prompts.length - 1)];
    if (p) out[c] = p;
  });
  return Object.keys(out).length > 0 ? out : null;
}

export function stRunMapping(run: StudioRunDescription): StRunMapping {
  const { config } = run;
  const o = config.optimizer;
  const loss = stLoss(config);
  const args: Record<string, CardValue> = {
    num_train_epochs: config.epochs,
    max_steps: config.maxSteps ?? -1,
    per_device_train_batch_size: config.batchSize,
    learning_rate: o.lr,
    lr_scheduler_type: config.scheduler === 'linear' ? 'linear' : 'constant_with_warmup',
    warmup_steps: config.warmupSteps,
    weight_decay: o.weightDecay,
    adam_beta1: o.beta1,
    adam_beta2: o.beta2,
    adam_epsilon: o.eps,
    max_grad_norm: o.maxGradNorm,
    optim: 'adamw_torch',
    seed: config.seed,
    batch_sampler: 'batch_sampler',
  };
  const prompts = columnPromptMap(config, run.columns);
  const notes: string[] = [];
  if (!config.shuffle) {
    notes.push('Shuffling was off in the studio (rows in file order). The Hugging Face Trainer always shuffles the training set each epoch; the recipe keeps that.');
  }
  if (o.decayAllParameters) {
    notes.push('The studio decayed every weight, biases and LayerNorm included. The Hugging Face Trainer never decays biases and LayerNorm weights; the recipe keeps its rule.');
  }
  if (config.miniBatchSize !== undefined && config.loss.id !== 'mnrl') {
    notes.push(
      `The studio trained by gradient caching (mini-batches of ${config.miniBatchSize} texts). sentence-transformers caches gradients only in the Cached* losses ` +
        `and has none for ${LOSS_NAMES[config.loss.id]}; on GPUs the recipe runs the whole batch at once (same loss and gradients, more memory).`,
    );
  }
  const suffixes = [run.promptSuffixes?.query, run.promptSuffixes?.document].filter((s): s is string => !!s);
  if (suffixes.length > 0) {
    notes.push(
      `The studio's prompt templates put text after {text} (${suffixes.map((s) => JSON.stringify(s)).join(', ')}). sentence-transformers prompts are prefixes only, ` +
        'so the exported model cannot carry a suffix: the recipe appends it to the evaluation texts, as the studio evaluated them (training, in both, uses the prefixes only).',
    );
  }
  notes.push(
    'Data order and dropout use PyTorch\'s random generators, not the studio\'s: with the same seed the loss curve follows the studio\'s closely but not bit for bit.',
  );
  const table: { studio: string; value: string; st: string }[] = [
    { studio: 'loss', value: LOSS_NAMES[config.loss.id], st: loss.python },
    { studio: 'epochs', value: String(config.epochs), st: 'num_train_epochs' },
    { studio: 'steps', value: config.maxSteps === undefined ? 'from epochs' : String(config.maxSteps), st: 'max_steps' },
    { studio: 'batch size', value: String(config.batchSize), st: 'per_device_train_batch_size × number of GPUs (train.py divides it)' },
    { studio: 'learning rate', value: String(o.lr), st: 'learning_rate' },
    { studio: 'schedule', value: config.scheduler, st: `lr_scheduler_type="${String(args.lr_scheduler_type)}"` },
    { studio: 'warmup steps', value: String(config.warmupSteps), st: 'warmup_steps' },
    { studio: 'weight decay', value: String(o.weightDecay), st: 'weight_decay (none on biases and LayerNorm weights in both)' },
    { studio: 'Adam betas, epsilon', value: `${o.beta1}, ${o.beta2}, ${o.eps}`, st: 'adam_beta1, adam_beta2, adam_epsilon (optim="adamw_torch")' },
    { studio: 'gradient clipping', value: o.maxGradNorm > 0 ? `global norm ${o.maxGradNorm}` : 'off', st: 'max_grad_norm (0 turns it off)' },
    { studio: 'seed', value: String(config.seed), st: 'seed' },
    { studio: 'max length', value: `${run.maxSeqLength} tokens`, st: 'models.Transformer(max_seq_length=…)' },
  ];
  if (config.loss.matryoshkaDims.length > 0) table.push({ studio: 'Matryoshka dims', value: config.loss.matryoshkaDims.join(', '), st: 'MatryoshkaLoss(matryoshka_dims=…)' });
  if (config.miniBatchSize !== undefined && config.loss.id === 'mnrl') table.push({ studio: 'gradient caching', value: `${config.miniBatchSize} texts`, st: 'CachedMultipleNegativesRankingLoss(mini_batch_size=…)' });
  if (prompts) table.push({ studio: 'prompts', value: Object.entries(prompts).map(([c, p]) => `${c}: ${JSON.stringify(p)}`).join('; '), st: 'SentenceTransformerTrainingArguments(prompts={column: prompt})' });
  if (run.evalEvery) table.push({ studio: 'evaluate every', value: `${run.evalEvery} steps`, st: 'eval_strategy="steps", eval_steps' });
  if (run.checkpointEvery) table.push({ studio: 'checkpoint every', value: `${run.checkpointEvery} steps`, st: 'save_strategy="steps", save_steps' });
  return { loss, args, prompts, table, notes };
}

/** Hyperparameters under sentence-transformers' names, for the model card. */
export function cardHyperparameters(run: StudioRunDescription): Record<string, CardValue> {
  const m = stRunMapping(run);
  const out: Record<string, CardValue> = { ...m.args, max_seq_length: run.maxSeqLength };
  if (m.prompts) out.prompts = JSON.stringify(m.prompts);
  return out;
}

export { py as pythonLiteral, pyFloat as pythonFloat };
