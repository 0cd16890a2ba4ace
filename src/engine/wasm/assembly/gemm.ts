// Register-blocked, panel-packed f32 GEMM (the BLIS recipe at WebAssembly SIMD128's width):
// B is packed into 8-column panels, A into 4-row panels, both contiguous over a KC block of k, so
// the 4×8 micro-kernel streams two vectors of B and four splatted scalars of A per k and keeps its
// 8 accumulators in registers. Threads split the rows of C; every thread reads the one packed B.

export const MR: i32 = 4;
export const NR: i32 = 8;
export const KC: i32 = 256;

/**
 * Packs columns [n0, n0 + NR) of op(B) for k in [k0, k0 + kc) into dst as kc rows of NR floats,
 * zero-filling columns past N. op(B) is [K, N]: B stored [K, N], or [N, K] when transB.
 */
function packPanelB(dst: usize, b: usize, K: i32, N: i32, transB: bool, k0: i32, kc: i32, n0: i32): void {
  const cols = min(NR, N - n0);
  if (!transB) {
    if (cols == NR) {
      for (let k = 0; k < kc; k++) {
        const src = b + ((<usize>(k0 + k) * N + n0) << 2);
        v128.store(dst + (<usize>k << 5), v128.load(src));
        v128.store(dst + (<usize>k << 5), v128.load(src, 16), 16);
      }
    } else {
      for (let k = 0; k < kc; k++) {
        const src = b + ((<usize>(k0 + k) * N + n0) << 2);
        const row = dst + (<usize>k << 5);
        for (let j = 0; j < NR; j++) store<f32>(row + (<usize>j << 2), j < cols ? load<f32>(src + (<usize>j << 2)) : 0);
      }
    }
  } else {
    for (let j = 0; j < NR; j++) {
      if (j < cols) {
        const src = b + ((<usize>(n0 + j) * K + k0) << 2);
        for (let k = 0; k < kc; k++) store<f32>(dst + (<usize>(k * NR + j) << 2), load<f32>(src + (<usize>k << 2)));
      } else {
        for (let k = 0; k < kc; k++) store<f32>(dst + (<usize>(k * NR + j) << 2), 0);
      }
    }
  }
}

/** Packs rows [m0, m0 + MR) of op(A) for k in [k0, k0 + kc) as kc groups of MR floats. */
function packPanelA(dst: usize, a: usize, M: i32, K: i32, transA: bool, k0: i32, kc: i32, m0: i32): void {
  const rows = min(MR, M - m0);
  if (transA) {
    // A stored [K, M]: the MR rows of one k are contiguous.
    if (rows == MR) {
      for (let k = 0; k < kc; k++) v128.store(dst + (<usize>k << 4), v128.load(a + ((<usize>(k0 + k) * M + m0) << 2)));
    } else {
      for (let k = 0; k < kc; k++) {
        const src = a + ((<usize>(k0 + k) * M + m0) << 2);
        for (let i = 0; i < MR; i++) store<f32>(dst + (<usize>(k * MR + i) << 2), i < rows ? load<f32>(src + (<usize>i << 2)) : 0);
      }
    }
  } else {
    for (let i = 0; i < MR; i++) {
      if (i < rows) {
        const src = a + ((<usize>(m0 + i) * K + k0) << 2);
        for (let k = 0; k < kc; k++) store<f32>(dst + (<usize>(k * MR + i) << 2), load<f32>(src + (<usize>k << 2)));
      } else {
        for (let k = 0; k < kc; k++) store<f32>(dst + (<usize>(k * MR + i) << 2), 0);
      }
    }
  }
}

/**
 * c + a·b. In the relaxed-SIMD build this is one fused multiply-add (x86 FMA3, ARM FMLA: twice
 * the multiply-adds per cycle); elsewhere a multiply and an add, the only choice in plain SIMD128.
 */
// @ts-ignore: decorator
@inline
function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/**
 * The 4×8 micro-kernel: C tile (+)= Apanel · Bpanel over kc, plus bias when given. `tile` is a
 * 32-float scratch used when the tile sticks out of C (rows < MR or cols < NR).
 */
// @ts-ignore: decorator
@inline
function microKernel(
  ap: usize, bp: usize, kc: i32, c: usize, ldc: i32, rows: i32, cols: i32,
  loadC: bool, bias: usize, tile: usize,
): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(bp), b1 = v128.load(bp, 16);
    let a = v128.load32_splat(ap);
    c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
    a = v128.load32_splat(ap, 4);
    c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
    a = v128.load32_splat(ap, 8);
    c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
    a = v128.load32_splat(ap, 12);
    c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
    ap += 16;
    bp += 32;
  }
  if (bias) {
    const bb0 = v128.load(bias), bb1 = v128.load(bias, 16);
    c00 = f32x4.add(c00, bb0); c01 = f32x4.add(c01, bb1);
    c10 = f32x4.add(c10, bb0); c11 = f32x4.add(c11, bb1);
    c20 = f32x4.add(c20, bb0); c21 = f32x4.add(c21, bb1);
    c30 = f32x4.add(c30, bb0); c31 = f32x4.add(c31, bb1);
  }
  const full = rows == MR && cols == NR;
  let dst = c, ld = <usize>ldc << 2;
  if (!full) {
    dst = tile;
    ld = NR << 2;
    if (loadC) {
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) store<f32>(tile + (<usize>(i * NR + j) << 2), load<f32>(c + ((<usize>i * ldc + j) << 2)));
    }
  }
  if (loadC) {
    c00 = f32x4.add(c00, v128.load(dst)); c01 = f32x4.add(c01, v128.load(dst, 16));
    c10 = f32x4.add(c10, v128.load(dst + ld)); c11 = f32x4.add(c11, v128.load(dst + ld, 16));
    c20 = f32x4.add(c20, v128.load(dst + 2 * ld)); c21 = f32x4.add(c21, v128.load(dst + 2 * ld, 16));
    c30 = f32x4.add(c30, v128.load(dst + 3 * ld)); c31 = f32x4.add(c31, v128.load(dst + 3 * ld, 16));
  }
  v128.store(dst, c00); v128.store(dst, c01, 16);
  v128.store(dst + ld, c10); v128.store(dst + ld, c11, 16);
  v128.store(dst + 2 * ld, c20); v128.store(dst + 2 * ld, c21, 16);
  v128.store(dst + 3 * ld, c30); v128.store(dst + 3 * ld, c31, 16);
  if (!full) {
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) store<f32>(c + ((<usize>i * ldc + j) << 2), load<f32>(tile + (<usize>(i * NR + j) << 2)));
  }
}

/** Bytes of packed B a GEMM of this shape needs (all N panels of one KC block). */
export function packedBBytes(K: i32, N: i32): i32 {
  return ((N + NR - 1) / NR) * NR * min(K, KC) * 4;
}

/** Per-thread scratch: one packed A panel, the edge tile and a padded bias; thread t's is at t times this. */
export function threadScratchBytes(N: i32): i32 {
  return MR * KC * 4 + MR * NR * 4 + ((N + NR - 1) / NR) * NR * 4;
}

/** Phase 1 of a KC block: this thread's share of the B panels. */
export function gemmPackB(b: usize, K: i32, N: i32, transB: i32, k0: i32, packed: usize, thread: i32, threads: i32): void {
  const kc = min(KC, K - k0);
  const panels = (N + NR - 1) / NR;
  for (let p = thread; p < panels; p += threads) {
    packPanelB(packed + (<usize>p * kc * NR << 2), b, K, N, transB != 0, k0, kc, p * NR);
  }
}

/**
 * Phase 2 of a KC block: rows [mStart, mEnd) of C. accumulate: add into C even on the first
 * block; bias (0 = none) is added once, on the first block.
 */
export function gemmBlock(
  a: usize, M: i32, K: i32, N: i32, transA: i32, k0: i32, packed: usize, c: usize,
  accumulate: i32, bias: usize, scratch: usize, thread: i32, threads: i32,
): void {
  const kc = min(KC, K - k0);
  const first = k0 == 0;
  const loadC = !first || accumulate != 0;
  const panels = (N + NR - 1) / NR;
  const groups = (M + MR - 1) / MR;
  const per = (groups + threads - 1) / threads;
  const g0 = thread * per, g1 = min(groups, g0 + per);
  const ap = scratch + <usize>thread * threadScratchBytes(N), tile = ap + (MR * KC << 2), biasPad = tile + (MR * NR << 2);
  if (first && bias) {
    for (let j = 0; j < panels * NR; j++) store<f32>(biasPad + (<usize>j << 2), j < N ? load<f32>(bias + (<usize>j << 2)) : 0);
  }
  for (let g = g0; g < g1; g++) {
    const m0 = g * MR;
    const rows = min(MR, M - m0);
    packPanelA(ap, a, M, K, transA != 0, k0, kc, m0);
    for (let p = 0; p < panels; p++) {
      const n0 = p * NR;
      microKernel(
        ap, packed + (<usize>p * kc * NR << 2), kc, c + ((<usize>m0 * N + n0) << 2), N, rows, min(NR, N - n0),
        loadC, first && bias ? biasPad + (<usize>n0 << 2) : 0, tile,
      );
    }
  }
}
