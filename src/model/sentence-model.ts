import type { Backend } from '../engine/backend.ts';
import { Graph, type Var } from '../engine/graph.ts';
import type { ParamStore } from '../engine/params.ts';
import { BertEncoder, type BertDims, type SeedSource, type TokenBatch } from './bert.ts';
import { pool, poolingMask } from './pooling.ts';
import type { PoolingModeName } from '../shared/names.ts';

/** What the model needs from a tokenizer (implemented by TextTokenizer). */
export interface BatchTokenizer {
  encodeBatch(texts: readonly string[], options: { maxLength: number }): TokenBatch;
  /** Tokens a prompt occupies at the start of an encoded text, [CLS] included, [SEP] not. */
  promptLength(prompt: string): number;
  /** Tokens a text occupies, special tokens included, untruncated. */
  countTokens(text: string): number;
}

export interface PromptedBatch {
  readonly batch: TokenBatch;
  /** Per row: tokens of its prompt, [CLS] included (0 without a prompt). */
  readonly promptLengths: readonly number[];
}

export interface PoolingSettings {
  readonly mode: PoolingModeName;
  readonly includePrompt: boolean;
}

export interface EncodeOptions {
  /** Prepended to every text, as sentence-transformers' `prompt=`. */
  readonly prompt?: string;
  readonly batchSize?: number;
  /** Overrides the model's Normalize module. */
  readonly normalize?: boolean;
  readonly pooling?: PoolingSettings;
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * A sentence-transformers pipeline: Transformer → Pooling → optional Normalize, over one set of
 * flat parameters on one backend.
 */
export class SentenceModel {
  readonly encoder: BertEncoder;

  constructor(
    readonly store: ParamStore,
    readonly dims: BertDims,
    readonly tokenizer: BatchTokenizer,
    public pooling: PoolingSettings,
    public normalize: boolean,
    public maxSeqLength: number,
  ) {
    this.encoder = new BertEncoder(store, dims);
  }

  get backend(): Backend {
    return this.store.backend;
  }

  get dimension(): number {
    return this.dims.hiddenSize;
  }

  /** Tokenizes texts, each with its own prompt (or none), in one padded batch. */
  tokenize(texts: readonly string[], prompts: readonly (string | undefined)[] = []): PromptedBatch {
    const full = texts.map((t, i) => (prompts[i] ?? '') + t);
    const batch = this.tokenizer.encodeBatch(full, { maxLength: this.maxSeqLength });
    const lengths = new Map<string, number>();
    const promptLengths = texts.map((_, i) => {
      const p = prompts[i];
      if (!p) return 0;
      if (!lengths.has(p)) lengths.set(p, this.tokenizer.promptLength(p));
      return lengths.get(p)!;
    });
    return { batch, promptLengths };
  }

  /** Sentence embeddings [B, H] of one tokenized batch, recorded on `g`. */
  embed(g: Graph, input: PromptedBatch, nextSeed: SeedSource, overrides?: Pick<EncodeOptions, 'normalize' | 'pooling'>): Var {
    const { batch, promptLengths } = input;
    const pooling = overrides?.pooling ?? this.pooling;
    const tokens = this.encoder.forward(g, batch, nextSeed);
    const mask = poolingMask(batch, promptLengths, pooling.includePrompt);
    const pooled = pool(g, tokens, batch, pooling.mode, mask);
    return (overrides?.normalize ?? this.normalize) ? g.l2Normalize(pooled) : pooled;
  }

  /** Inference: embeddings of `texts`, row-major [texts.length, H]. */
  async encode(texts: readonly string[], options: EncodeOptions = {}): Promise<Float32Array> {
    const H = this.dimension;
    const batchSize = options.batchSize ?? 32;
    const out = new Float32Array(texts.length * H);
    // Longest first by token count, so each batch pads only to its own longest text and the
    // memory peak comes first (sentence-transformers sorts longest first too, by characters).
    const tokens = texts.map((t) => Math.min(this.maxSeqLength, this.tokenizer.countTokens((options.prompt ?? '') + t)));
    const order = texts.map((_, i) => i).sort((a, b) => tokens[b] - tokens[a] || a - b);
    const pending: Promise<void>[] = [];
    for (let start = 0; start < texts.length; start += batchSize) {
      const idx = order.slice(start, start + batchSize);
      const input = this.tokenize(idx.map((i) => texts[i]), idx.map(() => options.prompt));
      const g = new Graph(this.backend, false);
      const emb = this.embed(g, input, () => 0, options);
      pending.push(
        this.backend.read(emb.value).then((values) => {
          idx.forEach((row, j) => out.set(values.subarray(j * H, j * H + H), row * H));
          options.onProgress?.(Math.min(start + batchSize, texts.length), texts.length);
        }),
      );
      this.backend.endStep();
      // Keep a bounded number of batches in flight so memory stays flat on long inputs.
      if (pending.length >= 4) await pending.shift();
    }
    await Promise.all(pending);
    return out;
  }
}
