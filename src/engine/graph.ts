import type { AttentionShape, Backend, ScatterIndex, Tensor } from './backend.ts';

/**
 * A value in a recorded computation. Parameters carry a preset `grad` (a view into the flat
 * gradient buffer) so backward passes accumulate straight into it.
 */
export class Var {
  constructor(
    readonly value: Tensor,
    public grad: Tensor | null = null,
    readonly requiresGrad = true,
  ) {}
  get shape(): readonly number[] {
    return this.value.shape;
  }
}

/**
 * Reverse-mode autodiff over a tape of closures, llm.c style: each op runs its forward on the
 * backend now and pushes the matching backward. With `recording` false (inference) nothing is kept.
 */
export class Graph {
  private readonly tape: (() => void)[] = [];
  private readonly terminal = new Set<Var>();

  constructor(
    readonly backend: Backend,
    readonly recording: boolean,
  ) {}

  constant(value: Tensor): Var {
    return new Var(value, null, false);
  }

  private out(value: Tensor, ...inputs: Var[]): Var {
    return new Var(value, null, this.recording && inputs.some((v) => v.requiresGrad));
  }

  private record(result: Var, backward: (dy: Tensor) => void): Var {
    if (result.requiresGrad) {
      this.tape.push(() => {
        if (result.grad) backward(result.grad);
      });
    }
    return result;
  }

  /**
   * Adds g to v's gradient. `owned` says g is a fresh tensor no one else holds, so it can become
   * the gradient itself; a shared one is copied so later in-place accumulation cannot leak.
   */
  private accumulate(v: Var, g: Tensor, owned: boolean): void {
    if (!v.requiresGrad) return;
    if (v.grad) this.backend.addInPlace(v.grad, g);
    else if (owned) v.grad = g;
    else v.grad = this.backend.scale(g, 1);
  }

  /**
   * Runs the tape backwards from terminal losses. Loss ops already hold the gradients of
   * weight·loss, so several weighted losses (Matryoshka) back-propagate as their sum.
   */
  backward(losses: readonly Var[]): void {
    if (!this.recording) throw new Error('backward on a graph that did not record');
    for (const loss of losses) {
      if (!this.terminal.has(loss)) throw new Error('backward starts only from a loss op');
      loss.grad = loss.value;
    }
    for (let i = this.tape.length - 1; i >= 0; i--) this.tape[i]();
    this.tape.length = 0;
  }

  /**
   * Runs the tape backwards from arbitrary outputs with given gradients (dL/dv for each v), as
   * `torch.autograd.backward(tensors, grad_tensors)`: gradient caching re-runs a mini-batch and
   * seeds its embeddings with the cached full-batch gradients. Gradients are copied, so the
   * caller's tensors are never written; outputs that do not require grad are skipped.
   */
  backwardFrom(outputs: readonly { readonly v: Var; readonly grad: Tensor }[]): void {
    if (!this.recording) throw new Error('backwardFrom on a graph that did not record');
    for (const { v, grad } of outputs) {
      if (grad.size !== v.value.size || grad.shape.join() !== v.shape.join()) {
        throw new Error(`backwardFrom: gradient [${grad.shape.join(', ')}] for an output [${v.shape.join(', ')}]`);
      }
      this.accumulate(v, grad, false);
    }
    for (let i = this.tape.length - 1; i >= 0; i--) this.tape[i]();
    this.tape.length = 0;
  }

  /** Terminal losses already hold their input gradients; this attaches them to the tape. */
  private lossOutput(loss: Tensor, inputs: readonly Var[], grads: readonly Tensor[]): Var {
    const result = this.out(loss, ...inputs);
    this.terminal.add(result);
    return this.record(result, () => inputs.forEach((v, i) => this.accumulate(v, grads[i], true)));
  }

  // ---- dense -------------------------------------------------------------------------------------

  /** y = x·Wᵀ + b with W in the PyTorch [out, in] layout. */
  linear(x: Var, weight: Var, bias: Var | null): Var {
    const b = this.backend;
    const y = this.out(b.matmul(x.value, weight.value, { transB: true, bias: bias?.value }), x, weight, ...(bias ? [bias] : []));
    return this.record(y, (dy) => {
      if (x.requiresGrad) this.accumulate(x, b.matmul(dy, weight.value), true);
      if (weight.requiresGrad) {
        if (weight.grad) b.matmul(dy, x.value, { transA: true, out: weight.grad, accumulate: true });
        else weight.grad = b.matmul(dy, x.value, { transA: true });
      }
      if (bias?.requiresGrad) {
        if (!bias.grad) bias.grad = b.zeros(bias.shape);
        b.sumRows(dy, bias.grad, true);
      }
    });
  }

  /** a·bᵀ for two row sets (similarity matrices). */
  matmulTransposed(a: Var, c: Var): Var {
    const b = this.backend;
    const y = this.out(b.matmul(a.value, c.value, { transB: true }), a, c);
    return this.record(y, (dy) => {
      if (a.requiresGrad) this.accumulate(a, b.matmul(dy, c.value), true);
      if (c.requiresGrad) this.accumulate(c, b.matmul(dy, a.value, { transA: true }), true);
    });
  }

  add(x: Var, y: Var): Var {
    const out = this.out(this.backend.add(x.value, y.value), x, y);
    return this.record(out, (dy) => {
      this.accumulate(x, dy, false);
      this.accumulate(y, dy, false);
    });
  }

  scale(x: Var, factor: number): Var {
    const out = this.out(this.backend.scale(x.value, factor), x);
    return this.record(out, (dy) => this.accumulate(x, this.backend.scale(dy, factor), true));
  }

  // ---- embeddings ----------------------------------------------------------------------------------

  /** Rows of `table` picked by host-side ids; the gradient scatters back without atomics. */
  embedding(table: Var, ids: Int32Array): Var {
    const b = this.backend;
    const idTensor = b.fromInt32(ids, [ids.length]);
    const out = this.out(b.gather(table.value, idTensor), table);
    let index: ScatterIndex | null = null;
    if (out.requiresGrad) index = b.scatterIndex(ids, table.shape[0]);
    return this.record(out, (dy) => {
      if (!table.grad) table.grad = b.zeros(table.shape);
      b.scatterAdd(dy, index!, table.grad);
    });
  }

  // ---- normalisation and activations ----------------------------------------------------------------

  layerNorm(x: Var, gamma: Var, beta: Var, eps: number): Var {
    const b = this.backend;
    const { y, mean, rstd } = b.layerNorm(x.value, gamma.value, beta.value, eps);
    const out = this.out(y, x, gamma, beta);
    return this.record(out, (dy) => {
      if (!gamma.grad) gamma.grad = b.zeros(gamma.shape);
      if (!beta.grad) beta.grad = b.zeros(beta.shape);
      const dx = b.layerNormBackward(dy, x.value, gamma.value, mean, rstd, gamma.grad, beta.grad);
      this.accumulate(x, dx, true);
    });
  }

  gelu(x: Var): Var {
    const out = this.out(this.backend.gelu(x.value), x);
    return this.record(out, (dy) => this.accumulate(x, this.backend.geluBackward(dy, x.value), true));
  }

  dropout(x: Var, p: number, seed: number): Var {
    if (p <= 0 || !this.recording) return x;
    const out = this.out(this.backend.dropout(x.value, p, seed), x);
    return this.record(out, (dy) => this.accumulate(x, this.backend.dropoutBackward(dy, p, seed), true));
  }

  attention(qkv: Var, keyMask: Tensor, shape: AttentionShape): Var {
    const b = this.backend;
    const { out: y, probs } = b.attention(qkv.value, keyMask, shape);
    const out = this.out(y, qkv);
    return this.record(out, (dy) => this.accumulate(qkv, b.attentionBackward(dy, qkv.value, probs, shape), true));
  }

  // ---- pooling and heads --------------------------------------------------------------------------------

  weightedPool(x: Var, weights: Tensor, batch: number, seqLength: number): Var {
    const b = this.backend;
    const out = this.out(b.weightedPool(x.value, weights, batch), x);
    return this.record(out, (dy) => this.accumulate(x, b.weightedPoolBackward(dy, weights, seqLength), true));
  }

  maxPool(x: Var, mask: Tensor, batch: number, seqLength: number): Var {
    const b = this.backend;
    const { y, argmax } = b.maxPool(x.value, mask, batch);
    const out = this.out(y, x);
    return this.record(out, (dy) => this.accumulate(x, b.maxPoolBackward(dy, argmax, seqLength), true));
  }

  l2Normalize(x: Var): Var {
    const b = this.backend;
    const { y, norm } = b.l2Normalize(x.value);
    const out = this.out(y, x);
    return this.record(out, (dy) => this.accumulate(x, b.l2NormalizeBackward(dy, y, norm), true));
  }

  sliceColumns(x: Var, width: number): Var {
    if (width === x.shape[1]) return x;
    const b = this.backend;
    const out = this.out(b.sliceColumns(x.value, width), x);
    return this.record(out, (dy) => this.accumulate(x, b.sliceColumnsBackward(dy, x.shape[1]), true));
  }

  /** Splits rows into consecutive blocks; the backward reassembles them (missing parts are 0). */
  splitRows(x: Var, counts: readonly number[]): Var[] {
    const b = this.backend;
    const [rows, cols] = x.shape;
    if (counts.reduce((s, c) => s + c, 0) !== rows) throw new Error(`splitRows: ${counts.join('+')} ≠ ${rows} rows`);
    let start = 0;
    const parts = counts.map((count) => {
      const piece = b.zeros([count, cols]);
      b.copyRows(x.value, start, piece, 0, count);
      start += count;
      return this.out(piece, x);
    });
    if (!x.requiresGrad || !this.recording) return parts;
    // One backward for all parts; recorded before their consumers, so it runs after all of them.
    this.tape.push(() => {
      if (parts.every((p) => !p.grad)) return;
      const dx = b.zeros([rows, cols]);
      let at = 0;
      for (const p of parts) {
        if (p.grad) b.copyRows(p.grad, 0, dx, at, p.shape[0]);
        at += p.shape[0];
      }
      this.accumulate(x, dx, true);
    });
    return parts;
  }

  /** Stacks row blocks with the same columns; the inverse of splitRows. */
  concatRows(parts: readonly Var[]): Var {
    if (parts.length === 1) return parts[0];
    const b = this.backend;
    const cols = parts[0].shape[1];
    const rows = parts.reduce((s, p) => s + p.shape[0], 0);
    const value = b.zeros([rows, cols]);
    let at = 0;
    for (const p of parts) {
      b.copyRows(p.value, 0, value, at, p.shape[0]);
      at += p.shape[0];
    }
    const out = this.out(value, ...parts);
    return this.record(out, (dy) => {
      let start = 0;
      for (const p of parts) {
        const count = p.shape[0];
        if (p.requiresGrad) {
          const piece = b.zeros([count, cols]);
          b.copyRows(dy, start, piece, 0, count);
          this.accumulate(p, piece, true);
        }
        start += count;
      }
    });
  }

  /** [rows] dot products of matching rows. */
  rowDot(x: Var, y: Var): Var {
    const b = this.backend;
    const out = this.out(b.rowDot(x.value, y.value), x, y);
    return this.record(out, (dy) => {
      if (x.requiresGrad) this.accumulate(x, b.rowScale(y.value, dy), true);
      if (y.requiresGrad) this.accumulate(y, b.rowScale(x.value, dy), true);
    });
  }

  // ---- losses -------------------------------------------------------------------------------------------

  softmaxCrossEntropy(logits: Var, labels: Tensor, weight: number): Var {
    const { loss, grads } = this.backend.softmaxCrossEntropy(logits.value, labels, weight);
    return this.lossOutput(loss, [logits], grads);
  }

  meanSquaredError(pred: Var, target: Tensor, weight: number): Var {
    const { loss, grads } = this.backend.meanSquaredError(pred.value, target, weight);
    return this.lossOutput(loss, [pred], grads);
  }

  cosentLoss(scores: Var, labels: Tensor, weight: number): Var {
    const { loss, grads } = this.backend.cosentLoss(scores.value, labels, weight);
    return this.lossOutput(loss, [scores], grads);
  }

  tripletLoss(anchor: Var, positive: Var, negative: Var, margin: number, weight: number): Var {
    const { loss, grads } = this.backend.tripletLoss(anchor.value, positive.value, negative.value, margin, weight);
    return this.lossOutput(loss, [anchor, positive, negative], grads);
  }
}
