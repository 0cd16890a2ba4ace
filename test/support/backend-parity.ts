/**
 * The parity suite every fast backend runs against the CPU specification, op by op, forward and
 * backward, on small odd shapes (src/engine/webgpu/parity.test.ts, src/engine/wasm/parity.test.ts).
 *
 * Tolerance: |got − cpu| ≤ 1e-5 · (|cpu| + rms(cpu)) + 1e-12 per element, where rms is over the
 * whole output — relative error 1e-5, measured against the output's own scale near zero (the CPU
 * sums in float64, the others in float32, so cancellations leave absolute, not relative, error).
 * Integer outputs (argmax) and dropout masks must match exactly; a mask bit that differs shows
 * up as an error of the size of the value itself.
 */
import { describe, expect, it } from 'vitest';
import type { Backend, Tensor } from '../../src/engine/backend.ts';
import { CpuBackend } from '../../src/engine/cpu/cpu-backend.ts';

export interface ParityTarget<B extends Backend> {
  readonly name: string;
  /** The backend under test, made by the caller's beforeAll. */
  readonly backend: () => B;
  /** Runs `body` once per matmul kernel the backend can switch between (once when it has one). */
  readonly forEachMatmulVariant: (backend: B, body: (variant: string) => Promise<void>) => Promise<void>;
}

const RTOL = 1e-5;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(12345);
export function randn(n: number, scale = 1, from = rand): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (from() * 2 - 1) * scale;
  return out;
}
/**
 * The matmul tests draw from their own stream: how many variants and shapes they cover then does
 * not change the data of every test after them (some check outputs that are exactly 0 on the CPU).
 */
const matmulRand = rng(2718);
function randInts(n: number, max: number): Int32Array {
  return Int32Array.from({ length: n }, () => Math.floor(rand() * max));
}
/** [B, T] mask: row 0 all ones, the last row only its first token, others random with t=0 kept. */
function mask(B: number, T: number): Float32Array {
  const m = new Float32Array(B * T);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) m[b * T + t] = b === 0 || t === 0 ? 1 : b === B - 1 ? 0 : rand() < 0.6 ? 1 : 0;
  }
  return m;
}

export function expectClose(got: Float32Array, want: Float32Array, what: string, rtol = RTOL): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  let ss = 0;
  for (const v of want) ss += v * v;
  const rms = Math.sqrt(ss / Math.max(1, want.length));
  let worst = -1, worstErr = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    const allowed = rtol * (Math.abs(want[i]) + rms) + 1e-12;
    if (!(err <= allowed) && (worst < 0 || err / allowed > worstErr)) {
      worst = i;
      worstErr = err / allowed;
    }
  }
  if (worst >= 0) {
    expect.fail(`${what}: element ${worst} is ${got[worst]}, cpu ${want[worst]} (${worstErr.toFixed(1)}× the tolerance)`);
  }
}


/** Registers the shared op-by-op tests; call inside the backend's own describe block. */
export function parityTests<B extends Backend>(target: ParityTarget<B>): void {
  const cpu = new CpuBackend();

  /** Runs `build` on both backends with the same host data and compares every returned tensor. */
  async function compare(what: string, build: (be: Backend) => Tensor[], rtol = RTOL): Promise<void> {
    const other = target.backend();
    const want = build(cpu);
    const got = build(other);
    const [w, g] = await Promise.all([Promise.all(want.map((t) => cpu.read(t))), Promise.all(got.map((t) => other.read(t)))]);
    other.endStep();
    w.forEach((wi, i) => expectClose(g[i], wi, `${what} [output ${i}]`, rtol));
  }

  it('elementwise ops, rowScale, copyRows, fill, copy', async () => {
    for (const [M, N] of [[1, 1], [3, 17], [33, 65]]) {
      const X = randn(M * N), Y = randn(M * N), S = randn(M);
      await compare(`elementwise ${M}x${N}`, (be) => {
        const x = be.fromFloat32(X, [M, N]), y = be.fromFloat32(Y, [M, N]);
        const acc = be.fromFloat32(Y, [M, N]);
        be.addInPlace(acc, x, -0.75);
        be.addInPlace(acc, x);
        const filled = be.zeros([M, N]);
        be.fill(filled, 2.5);
        const zeroed = be.fromFloat32(X, [M, N]);
        be.fill(zeroed, 0);
        const copied = be.zeros([M, N]);
        be.copy(x, copied);
        const rows = be.fromFloat32(Y, [M, N]);
        be.copyRows(x, 0, rows, M - 1, 1);
        return [be.add(x, y), acc, be.scale(x, -3), filled, zeroed, copied, be.rowScale(x, be.fromFloat32(S, [M])), rows];
      });
    }
  });

  it('matmul: every variant, every transpose, bias, out, accumulate, odd sizes', async () => {
    // [M, K, N]. K = 4 and 36 also exercise register8x8's vec4 path for A·Bᵀ (K % 4 = 0). The
    // subgroup kernel (tiles of 4·S rows × 4·S columns, S = the subgroup size) takes A·B, A·Bᵀ
    // and Aᵀ·B where N % 4 = 0 (and K % 4 = 0 but for Aᵀ·B) and falls back to register8x8
    // elsewhere: [70, 36, 68] edges in M and N, Aᵀ read as scalars (M % 4 ≠ 0); [64, 8, 132]
    // several tiles, Aᵀ as vec4 along M; [68, 17, 40] and [70, 17, 68] K % 4 ≠ 0 (Aᵀ·B one k per
    // iteration, Aᵀ as vec4 / as scalars); [33, 12, 4] one column quad.
    const shapes = [[1, 1, 1], [3, 17, 5], [33, 65, 17], [65, 3, 70], [9, 4, 11], [17, 36, 70], [70, 36, 68], [64, 8, 132], [68, 17, 40], [70, 17, 68], [33, 12, 4]];
    await target.forEachMatmulVariant(target.backend(), async (variant) => {
      for (const [M, K, N] of shapes) {
        for (const transA of [false, true]) {
          for (const transB of [false, true]) {
            const A = randn(M * K, 1, matmulRand), B = randn(K * N, 1, matmulRand), Bias = randn(N, 1, matmulRand), C0 = randn(M * N, 1, matmulRand);
            await compare(`matmul ${variant} ${M}x${K}x${N} tA=${transA} tB=${transB}`, (be) => {
              const a = be.fromFloat32(A, transA ? [K, M] : [M, K]);
              const b = be.fromFloat32(B, transB ? [N, K] : [K, N]);
              const bias = be.fromFloat32(Bias, [N]);
              const out = be.fromFloat32(C0, [M, N]);
              be.matmul(a, b, { transA, transB, bias, out, accumulate: true });
              const over = be.fromFloat32(C0, [M, N]);
              be.matmul(a, b, { transA, transB, out: over });
              return [be.matmul(a, b, { transA, transB }), be.matmul(a, b, { transA, transB, bias }), out, over];
            });
          }
        }
      }
    });
  });

  it('matmul views at 16-byte but not binding-aligned offsets, and unaligned ones', async () => {
    // Offsets in floats: 64 binds as is, 4 is 16-byte aligned (bound directly where
    // minStorageBufferOffsetAlignment ≤ 16, else staged), 2 is not (register kernel).
    const M = 37, K = 16, N = 12;
    const FLAT = randn(4096, 1, matmulRand), A = randn(M * K, 1, matmulRand), D = randn(M * N, 1, matmulRand);
    await target.forEachMatmulVariant(target.backend(), async (variant) => {
      await compare(`matmul views ${variant}`, (be) => {
        const flat = be.fromFloat32(FLAT, [4096], true);
        const grads = be.fromFloat32(FLAT, [4096], true);
        const a = be.fromFloat32(A, [M, K]);
        const d = be.fromFloat32(D, [M, N]);
        const out: Tensor[] = [];
        for (const offset of [64, 4, 2]) {
          out.push(be.matmul(a, be.view(flat, offset, [K, N])));
          out.push(be.matmul(a, be.view(flat, offset + 1024, [N, K]), { transB: true, bias: be.view(flat, offset + 2048, [N]) }));
          out.push(be.matmul(be.view(flat, offset + 3000, [M, K]), d, { transA: true }));
          be.matmul(a, d, { transA: true, out: be.view(grads, offset, [K, N]), accumulate: true });
        }
        return [...out, grads];
      });
    });
  });

  it('views of persistent flat buffers: aligned, packed, unaligned, aliased', async () => {
    const K = 17, N = 5, M = 3;
    const FLAT = randn(1024), A = randn(M * K), D = randn(M * N);
    await compare('views', (be) => {
      const flat = be.fromFloat32(FLAT, [1024], true);
      const grads = be.fromFloat32(FLAT, [1024], true);
      const w = be.view(flat, 64, [K, N]); // aligned weight
      const bias = be.view(flat, 192, [N]);
      const wq = be.view(flat, 256, [N, K]); // first of a packed pair …
      const packed = be.view(flat, 256, [2 * N, K]); // … bound as one bigger aligned view
      const odd = be.view(flat, 3, [K, N]); // unaligned: staged
      const a = be.fromFloat32(A, [M, K]);
      const d = be.fromFloat32(D, [M, N]);
      const y1 = be.matmul(a, w, { bias });
      const y2 = be.matmul(a, packed, { transB: true });
      const y3 = be.matmul(a, odd);
      const y4 = be.matmul(a, wq, { transB: true });
      // accumulate gradients into views of one flat gradient buffer
      be.matmul(a, d, { transA: true, out: be.view(grads, 64, [K, N]), accumulate: true });
      be.sumRows(d, be.view(grads, 192, [N]), true);
      be.matmul(a, d, { transA: true, out: be.view(grads, 5, [K, N]), accumulate: true }); // unaligned out
      // read and write views of one buffer in one op (a WebGPU usage conflict, staged)
      be.addInPlace(be.view(flat, 512, [64]), be.view(flat, 640, [64]), 0.5);
      be.copy(be.view(flat, 0, [64]), be.view(flat, 768, [64]));
      be.write(be.view(flat, 900, [3]), Float32Array.of(1, 2, 3));
      // LayerNorm parameters and their gradients as neighbouring views of the flat buffers
      const h = be.matmul(a, w);
      const ln = be.layerNorm(h, be.view(flat, 320, [N]), be.view(flat, 384, [N]), 1e-5);
      const dx = be.layerNormBackward(d, h, be.view(flat, 320, [N]), ln.mean, ln.rstd, be.view(grads, 320, [N]), be.view(grads, 325, [N]));
      return [y1, y2, y3, y4, ln.y, dx, grads, flat];
    });
  });

  it('sumRows and sumSquares', async () => {
    for (const [M, N] of [[1, 1], [3, 17], [65, 33], [1, 3000]]) {
      const X = randn(M * N), O = randn(N);
      await compare(`sumRows ${M}x${N}`, (be) => {
        const x = be.fromFloat32(X, [M, N]);
        const fresh = be.zeros([N]);
        be.sumRows(x, fresh, false);
        const acc = be.fromFloat32(O, [N]);
        be.sumRows(x, acc, true);
        return [fresh, acc, be.sumSquares(x)];
      });
    }
    const big = randn(300_001);
    await compare('sumSquares 300001', (be) => [be.sumSquares(be.fromFloat32(big, [big.length]))]);
  });

  it('gather and scatterAdd', async () => {
    for (const [V, H, N] of [[1, 1, 1], [5, 3, 17], [33, 17, 65]]) {
      const T = randn(V * H), ids = randInts(N, V), D = randn(N * H), G = randn(V * H);
      await compare(`embedding V=${V} H=${H} N=${N}`, (be) => {
        const table = be.fromFloat32(T, [V, H]);
        const out = be.gather(table, be.fromInt32(ids, [N]));
        const dTable = be.fromFloat32(G, [V, H], true);
        const index = be.scatterIndex(ids, V);
        be.scatterAdd(be.fromFloat32(D, [N, H]), index, dTable);
        return [out, dTable];
      });
    }
  });

  it('layerNorm forward and backward (accumulating dGamma, dBeta)', async () => {
    for (const [M, H] of [[1, 1], [3, 17], [17, 65], [2, 300]]) {
      const X = randn(M * H, 2), Gm = randn(H), Bt = randn(H), DY = randn(M * H), DG = randn(H), DB = randn(H);
      await compare(`layerNorm ${M}x${H}`, (be) => {
        const x = be.fromFloat32(X, [M, H]);
        const gamma = be.fromFloat32(Gm, [H]), beta = be.fromFloat32(Bt, [H]);
        const { y, mean, rstd } = be.layerNorm(x, gamma, beta, 1e-12);
        const dGamma = be.fromFloat32(DG, [H]), dBeta = be.fromFloat32(DB, [H]);
        const dx = be.layerNormBackward(be.fromFloat32(DY, [M, H]), x, gamma, mean, rstd, dGamma, dBeta);
        return [y, mean, rstd, dx, dGamma, dBeta];
      });
    }
  });

  it('gelu, dropout and their backward passes', async () => {
    for (const n of [1, 17, 1000]) {
      const X = randn(n, 4), DY = randn(n);
      await compare(`gelu ${n}`, (be) => {
        const x = be.fromFloat32(X, [n]);
        return [be.gelu(x), be.geluBackward(be.fromFloat32(DY, [n]), x)];
      });
      for (const [p, seed] of [[0, 1], [0.1, 7], [0.5, 0xffffffff], [0.9, 123456789], [1, 3]]) {
        await compare(`dropout ${n} p=${p}`, (be) => {
          const x = be.fromFloat32(X, [n]);
          return [be.dropout(x, p, seed), be.dropoutBackward(be.fromFloat32(DY, [n]), p, seed)];
        });
      }
    }
  });

  it('attention forward and backward with padding', async () => {
    for (const [B, T, NH, D, p] of [[1, 1, 1, 1, 0], [2, 3, 2, 4, 0], [3, 5, 3, 3, 0], [2, 17, 2, 8, 0], [2, 9, 3, 4, 0.3]]) {
      const H = NH * D;
      const QKV = randn(B * T * 3 * H), M = mask(B, T), DO = randn(B * T * H);
      await compare(`attention B=${B} T=${T} heads=${NH} d=${D} dropout=${p}`, (be) => {
        const qkv = be.fromFloat32(QKV, [B * T, 3 * H]);
        const shape = { batch: B, seqLength: T, heads: NH, ...(p > 0 ? { dropout: { p, seed: 1234 } } : {}) };
        const { out, probs } = be.attention(qkv, be.fromFloat32(M, [B, T]), shape);
        const dq = be.attentionBackward(be.fromFloat32(DO, [B * T, H]), qkv, probs, shape);
        return [out, probs, dq];
      });
    }
    // masked keys get probability exactly 0
    const M = mask(2, 4);
    const be = target.backend();
    const { probs } = be.attention(be.fromFloat32(randn(8 * 6), [8, 6]), be.fromFloat32(M, [2, 4]), { batch: 2, seqLength: 4, heads: 1 });
    const p = await be.read(probs);
    for (let b = 0; b < 2; b++) for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) if (M[b * 4 + j] === 0) expect(p[(b * 4 + i) * 4 + j]).toBe(0);
    be.endStep();
  });

  it('pooling, l2Normalize, sliceColumns, rowDot', async () => {
    for (const [B, T, H] of [[1, 1, 1], [2, 3, 17], [3, 5, 33]]) {
      const X = randn(B * T * H), M = mask(B, T), W = randn(B * T), DY = randn(B * H), DX = randn(B * T * H);
      await compare(`pooling B=${B} T=${T} H=${H}`, (be) => {
        const x = be.fromFloat32(X, [B * T, H]);
        const pooled = be.weightedPool(x, be.fromFloat32(W, [B, T]), B);
        const dW = be.weightedPoolBackward(be.fromFloat32(DY, [B, H]), be.fromFloat32(W, [B, T]), T);
        const { y, argmax } = be.maxPool(x, be.fromFloat32(M, [B, T]), B);
        const dMax = be.maxPoolBackward(be.fromFloat32(DY, [B, H]), argmax, T);
        const rows = be.fromFloat32(DX, [B * T, H]);
        const n = be.l2Normalize(rows);
        const dn = be.l2NormalizeBackward(be.fromFloat32(X, [B * T, H]), n.y, n.norm);
        const width = Math.max(1, H >> 1);
        const sliced = be.sliceColumns(rows, width);
        const dSlice = be.sliceColumnsBackward(sliced, H);
        return [pooled, dW, y, argmax, dMax, n.y, n.norm, dn, sliced, dSlice, be.rowDot(x, rows)];
      });
    }
    // the 1e-12 clamp: a zero row normalises to zero, its backward is a plain scaling
    await compare('l2Normalize zero row', (be) => {
      const z = be.zeros([2, 3]);
      const n = be.l2Normalize(z);
      return [n.y, n.norm, be.l2NormalizeBackward(be.fromFloat32(Float32Array.of(1e-20, 0, 0, 0, 0, 0), [2, 3]), n.y, n.norm)];
    });
  });

  it('losses', async () => {
    for (const [B, C] of [[1, 1], [3, 5], [17, 17], [2, 65]]) {
      const Z = randn(B * C, 5), L = randInts(B, C);
      await compare(`softmaxCrossEntropy ${B}x${C}`, (be) => {
        const r = be.softmaxCrossEntropy(be.fromFloat32(Z, [B, C]), be.fromInt32(L, [B]), 0.7);
        return [r.loss, ...r.grads];
      });
    }
    for (const n of [1, 17, 1000]) {
      const P = randn(n), T = randn(n);
      await compare(`meanSquaredError ${n}`, (be) => {
        const r = be.meanSquaredError(be.fromFloat32(P, [n]), be.fromFloat32(T, [n]), 1.3);
        return [r.loss, ...r.grads];
      });
    }
    for (const n of [1, 2, 17, 33]) {
      const S = randn(n, 20), Y = Float32Array.from({ length: n }, () => Math.floor(rand() * 4) / 3);
      await compare(`cosentLoss ${n}`, (be) => {
        const r = be.cosentLoss(be.fromFloat32(S, [n]), be.fromFloat32(Y, [n]), 0.5);
        return [r.loss, ...r.grads];
      });
    }
    for (const [B, H] of [[1, 1], [3, 17], [17, 33]]) {
      const A = randn(B * H), P = randn(B * H), N = randn(B * H);
      await compare(`tripletLoss ${B}x${H}`, (be) => {
        const r = be.tripletLoss(be.fromFloat32(A, [B, H]), be.fromFloat32(P, [B, H]), be.fromFloat32(N, [B, H]), 0.5, 2);
        return [r.loss, ...r.grads];
      });
    }
    // anchor = positive: the eps inside the difference keeps the distance finite
    await compare('tripletLoss identical rows', (be) => {
      const a = be.fromFloat32(Float32Array.of(1, 2, 3), [1, 3]);
      const r = be.tripletLoss(a, a, be.fromFloat32(Float32Array.of(1, 2, 3.5), [1, 3]), 1, 1);
      return [r.loss, ...r.grads];
    });
  });

  it('adamw with clipping from the GPU norm, decay split, bias correction', async () => {
    for (const n of [1, 17, 300]) {
      const P0 = randn(n), G = randn(n, 3), M0 = randn(n, 0.1), V0 = Float32Array.from(randn(n, 0.1), Math.abs);
      for (const maxGradNorm of [0, 1]) {
        await compare(`adamw n=${n} clip=${maxGradNorm}`, (be) => {
          const p = be.fromFloat32(P0, [n], true), g = be.fromFloat32(G, [n], true);
          const m = be.fromFloat32(M0, [n], true), v = be.fromFloat32(V0, [n], true);
          for (const step of [1, 2, 3]) {
            const gradNormSquared = be.sumSquares(g);
            be.adamw(p, g, m, v, {
              lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-6, weightDecay: 0.01, decayEnd: n >> 1, step, maxGradNorm, gradNormSquared,
            });
          }
          return [p, m, v];
        });
      }
    }
  });

  it('bad input: the same error as the cpu backend, op by op', () => {
    const other = target.backend();
    // Each case must fail on the CPU specification; the backend under test must refuse it too, with
    // the same message (a person sees it; a silently wrong result would train on garbage).
    const cases: [string, (be: Backend) => unknown][] = [
      ['matmul inner dimensions', (be) => be.matmul(be.fromFloat32(randn(6), [2, 3]), be.fromFloat32(randn(8), [4, 2]))],
      ['matmul bias length', (be) => be.matmul(be.fromFloat32(randn(6), [2, 3]), be.fromFloat32(randn(12), [3, 4]), { bias: be.fromFloat32(randn(3), [3]) })],
      ['matmul output shape', (be) => be.matmul(be.fromFloat32(randn(6), [2, 3]), be.fromFloat32(randn(12), [3, 4]), { out: be.zeros([2, 5]) })],
      ['matmul of a vector', (be) => be.matmul(be.fromFloat32(randn(3), [3]), be.fromFloat32(randn(12), [3, 4]))],
      ['gather id out of range', (be) => be.gather(be.fromFloat32(randn(12), [4, 3]), be.fromInt32(Int32Array.from([0, 4]), [2]))],
      ['gather negative id', (be) => be.gather(be.fromFloat32(randn(12), [4, 3]), be.fromInt32(Int32Array.from([-1]), [1]))],
      ['scatter index out of range', (be) => be.scatterIndex(Int32Array.from([0, 7]), 4)],
      ['rowScale factor count', (be) => be.rowScale(be.fromFloat32(randn(6), [2, 3]), be.fromFloat32(randn(3), [3]))],
      ['copyRows column mismatch', (be) => be.copyRows(be.fromFloat32(randn(6), [2, 3]), 0, be.zeros([2, 4]), 0, 1)],
      ['copyRows past the end', (be) => be.copyRows(be.fromFloat32(randn(6), [2, 3]), 1, be.zeros([2, 3]), 0, 2)],
      ['copy size mismatch', (be) => be.copy(be.fromFloat32(randn(6), [2, 3]), be.zeros([7]))],
      ['sumRows output length', (be) => be.sumRows(be.fromFloat32(randn(6), [2, 3]), be.zeros([2]), false)],
    ];
    const messageOf = (be: Backend, run: (be: Backend) => unknown): string | null => {
      try {
        run(be);
        return null;
      } catch (error) {
        return error instanceof Error ? error.message : String(error);
      }
    };
    for (const [what, run] of cases) {
      const want = messageOf(cpu, run);
      expect(want, `${what}: the cpu backend accepts it`).not.toBeNull();
      expect(messageOf(other, run), what).toBe(want);
    }
    other.endStep();
  });
}
