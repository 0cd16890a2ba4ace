import { DEFAULT_CHECKPOINT_EVERY, DEFAULT_CHECKPOINT_SECONDS, TRAINER_DEFAULTS, type TrainingConfig } from '../../../shared/settings.ts';

export type DraftField =
  | 'epochs' | 'batchSize' | 'learningRate' | 'warmupSteps' | 'weightDecay' | 'adamBeta1' | 'adamBeta2' | 'adamEpsilon' | 'maxSeqLength' | 'seed'
  | 'matryoshkaDims' | 'evalEvery' | 'checkpointEvery' | 'checkpointSeconds';

/** What the form holds: the text people typed, so "5e-" mid-typing is not lost or coerced. */
export type TrainingDraft = Record<DraftField, string>;

export interface DraftContext {
  /** The model's embedding dimension (Matryoshka dims must fit in it). */
  readonly dimension: number;
  /** The model's max_seq_length (a longer one only warns: the worker clamps to the position embeddings). */
  readonly modelMaxSeqLength: number;
  readonly trainRows: number;
}

export interface DraftCheck {
  readonly errors: Partial<Record<DraftField, string>>;
  /** Non-blocking advice shown beside a field. */
  readonly warnings: Partial<Record<DraftField, string>>;
  /** The parsed values of the fields that are valid. */
  readonly values: Partial<Omit<TrainingConfig, 'loss' | 'scheduler'>>;
}

export function draftFromConfig(c: TrainingConfig): TrainingDraft {
  return {
    epochs: String(c.epochs),
    batchSize: String(c.batchSize),
    learningRate: String(c.learningRate),
    warmupSteps: String(c.warmupSteps),
    weightDecay: String(c.weightDecay),
    // Settings saved before these fields existed trained with the Trainer's defaults.
    adamBeta1: String(c.adamBeta1 ?? TRAINER_DEFAULTS.beta1),
    adamBeta2: String(c.adamBeta2 ?? TRAINER_DEFAULTS.beta2),
    adamEpsilon: String(c.adamEpsilon ?? TRAINER_DEFAULTS.eps),
    maxSeqLength: String(c.maxSeqLength),
    seed: String(c.seed),
    matryoshkaDims: c.matryoshkaDims.join(', '),
    evalEvery: String(c.evalEvery),
    // Settings saved before checkpoints existed lack the field.
    checkpointEvery: String(c.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY),
    checkpointSeconds: String(c.checkpointSeconds ?? DEFAULT_CHECKPOINT_SECONDS),
  };
}

/** Steps one run takes: ceil(rows / batch) per epoch, as the trainer counts them. */
export function totalSteps(trainRows: number, batchSize: number, epochs: number): number {
  if (trainRows <= 0 || batchSize <= 0 || epochs <= 0) return 0;
  return Math.ceil(trainRows / batchSize) * epochs;
}

function parseInteger(text: string, min: number, max: number, what: string): number | string {
  const t = text.trim();
  if (t === '') return `${what} is required`;
  if (!/^[+-]?\d+$/.test(t)) return `${what} must be a whole number`;
  const n = Number(t);
  if (n < min) return `${what} must be at least ${min}`;
  if (n > max) return `${what} must be at most ${max}`;
  return n;
}

function parseNumber(text: string, min: number, max: number, what: string, exclusiveMin = false, exclusiveMax = false): number | string {
  const t = text.trim();
  if (t === '') return `${what} is required`;
  const n = Number(t);
  if (!Number.isFinite(n)) return `${what} must be a number (e.g. 2e-5)`;
  if (exclusiveMin ? n <= min : n < min) return `${what} must be ${exclusiveMin ? 'greater than' : 'at least'} ${min}`;
  if (exclusiveMax ? n >= max : n > max) return `${what} must be ${exclusiveMax ? 'less than' : 'at most'} ${max}`;
  return n;
}

/**
 * Matryoshka dimensions typed as "384, 256, 128": whole numbers in 1..dimension, no repeats,
 * returned largest first (MatryoshkaLoss' order). Empty text = no Matryoshka.
 */
export function parseMatryoshkaDims(text: string, dimension: number): { dims: number[]; error?: string; warning?: string } {
  const parts = text.split(/[,\s]+/).map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 0) return { dims: [] };
  const dims: number[] = [];
  for (const p of parts) {
    if (!/^\d+$/.test(p)) return { dims: [], error: `"${p}" is not a whole number` };
    const n = Number(p);
    if (n < 1 || n > dimension) return { dims: [], error: `${n} is outside 1..${dimension} (the model's dimension)` };
    if (dims.includes(n)) return { dims: [], error: `${n} is listed twice` };
    dims.push(n);
  }
  dims.sort((a, b) => b - a);
  const warning = dims[0] !== dimension ? `Matryoshka usually includes the full dimension ${dimension} first` : undefined;
  return warning ? { dims, warning } : { dims };
}

export function checkDraft(d: TrainingDraft, ctx: DraftContext): DraftCheck {
  const errors: Partial<Record<DraftField, string>> = {};
  const warnings: Partial<Record<DraftField, string>> = {};
  const values: Record<string, unknown> = {};
  const take = (field: DraftField, result: number | string) => {
    if (typeof result === 'string') errors[field] = result;
    else values[field] = result;
  };
  take('epochs', parseInteger(d.epochs, 1, 1000, 'Epochs'));
  take('batchSize', parseInteger(d.batchSize, 1, 4096, 'Batch size'));
  take('learningRate', parseNumber(d.learningRate, 0, 1, 'Learning rate', true));
  take('warmupSteps', parseInteger(d.warmupSteps, 0, 1_000_000, 'Warmup steps'));
  take('weightDecay', parseNumber(d.weightDecay, 0, 1, 'Weight decay'));
  // torch.optim.AdamW's own limits: 0 <= beta < 1; epsilon > 0 here because a zero epsilon divides
  // by zero wherever a gradient and its second moment are both 0.
  take('adamBeta1', parseNumber(d.adamBeta1, 0, 1, 'Adam beta1', false, true));
  take('adamBeta2', parseNumber(d.adamBeta2, 0, 1, 'Adam beta2', false, true));
  take('adamEpsilon', parseNumber(d.adamEpsilon, 0, 1, 'Adam epsilon', true));
  take('maxSeqLength', parseInteger(d.maxSeqLength, 8, 8192, 'Max length'));
  take('seed', parseInteger(d.seed, 0, 2 ** 32 - 1, 'Seed'));
  take('evalEvery', parseInteger(d.evalEvery, 0, 1_000_000, 'Evaluation interval'));
  take('checkpointEvery', parseInteger(d.checkpointEvery, 0, 1_000_000, 'Checkpoint interval'));
  take('checkpointSeconds', parseInteger(d.checkpointSeconds, 0, 86_400, 'Checkpoint time'));
  const m = parseMatryoshkaDims(d.matryoshkaDims, ctx.dimension);
  if (m.error) errors.matryoshkaDims = m.error;
  else values.matryoshkaDims = m.dims;
  if (m.warning) warnings.matryoshkaDims = m.warning;

  const batch = values.batchSize as number | undefined;
  const epochs = values.epochs as number | undefined;
  if (batch !== undefined && ctx.trainRows > 0 && batch > ctx.trainRows) {
    warnings.batchSize = `larger than the ${ctx.trainRows} training rows: each step sees them all`;
  }
  if (batch === 1) warnings.batchSize = 'in-batch-negative losses need at least 2 rows per batch';
  const maxLen = values.maxSeqLength as number | undefined;
  if (maxLen !== undefined && maxLen > ctx.modelMaxSeqLength) {
    warnings.maxSeqLength = `beyond the model's ${ctx.modelMaxSeqLength}; clamped to its position embeddings`;
  }
  const warmup = values.warmupSteps as number | undefined;
  if (warmup !== undefined && batch !== undefined && epochs !== undefined) {
    const steps = totalSteps(ctx.trainRows, batch, epochs);
    if (steps > 0 && warmup >= steps) warnings.warmupSteps = `the run has only ${steps} steps: it would never leave warmup`;
  }
  return { errors, warnings, values: values as DraftCheck['values'] };
}
