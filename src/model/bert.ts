import type { Backend } from '../engine/backend.ts';
import type { Graph, Var } from '../engine/graph.ts';
import type { ParamGroup, ParamStore } from '../engine/params.ts';

/** The numbers that fix a BERT-family encoder's shape (BERT, MiniLM, BGE, E5, GTE). */
export interface BertDims {
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly intermediateSize: number;
  readonly maxPositions: number;
  readonly typeVocabSize: number;
  readonly layerNormEps: number;
  readonly hiddenDropout: number;
  /** Dropout on attention probabilities (attention_probs_dropout_prob). */
  readonly attentionDropout: number;
}

/** A padded batch of token ids, row-major [batchSize, seqLength]. */
export interface TokenBatch {
  readonly batchSize: number;
  readonly seqLength: number;
  readonly inputIds: Int32Array;
  readonly attentionMask: Int32Array;
  readonly tokenTypeIds: Int32Array;
}

const layerName = (i: number, rest: string) => `encoder.layer.${i}.${rest}`;

/**
 * Parameter groups under the names Hugging Face checkpoints use. Query, key and value are one
 * group so attention runs one fused [3H, H] projection; biases and LayerNorm weights form the
 * groups without weight decay (the Trainer's rule).
 */
export function bertParamGroups(d: BertDims): ParamGroup[] {
  const H = d.hiddenSize, F = d.intermediateSize;
  const one = (name: string, shape: number[], decay: boolean): ParamGroup => ({ name, members: [{ name, shape }], decay });
  const groups: ParamGroup[] = [
    one('embeddings.word_embeddings.weight', [d.vocabSize, H], true),
    one('embeddings.position_embeddings.weight', [d.maxPositions, H], true),
    one('embeddings.token_type_embeddings.weight', [d.typeVocabSize, H], true),
    one('embeddings.LayerNorm.weight', [H], false),
    one('embeddings.LayerNorm.bias', [H], false),
  ];
  for (let i = 0; i < d.numLayers; i++) {
    const qkv = (kind: 'weight' | 'bias') =>
      (['query', 'key', 'value'] as const).map((p) => ({
        name: layerName(i, `attention.self.${p}.${kind}`),
        shape: kind === 'weight' ? [H, H] : [H],
      }));
    groups.push(
      { name: layerName(i, 'attention.self.qkv.weight'), members: qkv('weight'), decay: true },
      { name: layerName(i, 'attention.self.qkv.bias'), members: qkv('bias'), decay: false },
      one(layerName(i, 'attention.output.dense.weight'), [H, H], true),
      one(layerName(i, 'attention.output.dense.bias'), [H], false),
      one(layerName(i, 'attention.output.LayerNorm.weight'), [H], false),
      one(layerName(i, 'attention.output.LayerNorm.bias'), [H], false),
      one(layerName(i, 'intermediate.dense.weight'), [F, H], true),
      one(layerName(i, 'intermediate.dense.bias'), [F], false),
      one(layerName(i, 'output.dense.weight'), [H, F], true),
      one(layerName(i, 'output.dense.bias'), [H], false),
      one(layerName(i, 'output.LayerNorm.weight'), [H], false),
      one(layerName(i, 'output.LayerNorm.bias'), [H], false),
    );
  }
  return groups;
}

/** Draws dropout seeds; a seeded source makes a run reproducible. */
export type SeedSource = () => number;

export class BertEncoder {
  constructor(
    readonly store: ParamStore,
    readonly dims: BertDims,
  ) {
    if (dims.hiddenSize % dims.numHeads !== 0) {
      throw new Error(`hidden_size ${dims.hiddenSize} is not a multiple of num_attention_heads ${dims.numHeads}`);
    }
  }

  private p(name: string): Var {
    return this.store.group(name);
  }

  /** The last hidden state, [batchSize * seqLength, hiddenSize]. */
  forward(g: Graph, batch: TokenBatch, nextSeed: SeedSource): Var {
    const b: Backend = g.backend;
    const d = this.dims;
    const { batchSize: B, seqLength: T } = batch;
    if (T > d.maxPositions) throw new Error(`sequence of ${T} tokens is longer than the model's ${d.maxPositions} positions`);
    const positions = new Int32Array(B * T);
    for (let i = 0; i < B * T; i++) positions[i] = i % T;
    const dropout = (x: Var) => g.dropout(x, d.hiddenDropout, nextSeed());

    const words = g.embedding(this.p('embeddings.word_embeddings.weight'), batch.inputIds);
    const pos = g.embedding(this.p('embeddings.position_embeddings.weight'), positions);
    const types = g.embedding(this.p('embeddings.token_type_embeddings.weight'), batch.tokenTypeIds);
    let x = g.layerNorm(g.add(g.add(words, pos), types), this.p('embeddings.LayerNorm.weight'), this.p('embeddings.LayerNorm.bias'), d.layerNormEps);
    x = dropout(x);

    const keyMask = b.fromFloat32(Float32Array.from(batch.attentionMask), [B, T]);
    const shape = { batch: B, seqLength: T, heads: d.numHeads };
    const attentionDropout = g.recording && d.attentionDropout > 0;
    for (let i = 0; i < d.numLayers; i++) {
      const L = (rest: string) => this.p(layerName(i, rest));
      const qkv = g.linear(x, L('attention.self.qkv.weight'), L('attention.self.qkv.bias'));
      const layerShape = attentionDropout ? { ...shape, dropout: { p: d.attentionDropout, seed: nextSeed() } } : shape;
      const context = g.attention(qkv, keyMask, layerShape);
      const attnOut = dropout(g.linear(context, L('attention.output.dense.weight'), L('attention.output.dense.bias')));
      x = g.layerNorm(g.add(attnOut, x), L('attention.output.LayerNorm.weight'), L('attention.output.LayerNorm.bias'), d.layerNormEps);
      const inner = g.gelu(g.linear(x, L('intermediate.dense.weight'), L('intermediate.dense.bias')));
      const ffnOut = dropout(g.linear(inner, L('output.dense.weight'), L('output.dense.bias')));
      x = g.layerNorm(g.add(ffnOut, x), L('output.LayerNorm.weight'), L('output.LayerNorm.bias'), d.layerNormEps);
    }
    return x;
  }
}
