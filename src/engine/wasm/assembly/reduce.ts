// Column sums (bias gradients), sums of squares (the global gradient norm), row dot products.

/**
 * out[n] (+)= Σ_m x[m, n] over columns [n0, n1) split by thread. Rows are walked in order and
 * added into this thread's slice of `out` (which stays in L1), so x streams through the cache
 * line by line; each column is summed in row order, as a column-by-column walk would.
 */
export function sumRows(x: usize, out: usize, M: i32, N: i32, accumulate: i32, thread: i32, threads: i32): void {
  const per = ((N + threads - 1) / threads + 3) & ~3;
  const n0 = min(N, thread * per), n1 = min(N, n0 + per);
  if (n0 >= n1) return;
  if (!accumulate) for (let n = n0; n < n1; n++) store<f32>(out + (<usize>n << 2), 0);
  for (let m = 0; m < M; m++) {
    const row = x + (<usize>m * N << 2);
    let n = n0;
    for (; n + 4 <= n1; n += 4) {
      const o = out + (<usize>n << 2);
      v128.store(o, f32x4.add(v128.load(o), v128.load(row + (<usize>n << 2))));
    }
    for (; n < n1; n++) {
      const o = out + (<usize>n << 2);
      store<f32>(o, load<f32>(o) + load<f32>(row + (<usize>n << 2)));
    }
  }
}

/** Σ x² over this thread's slice, written as f64 to partials[thread]. */
export function sumSquares(x: usize, n: i32, partials: usize, thread: i32, threads: i32): void {
  const per = ((n + threads - 1) / threads + 3) & ~3;
  const s0 = min(n, thread * per), s1 = min(n, s0 + per);
  // Four f32 lanes per block of 1024, folded into f64: long sums stay accurate.
  let total: f64 = 0;
  let i = s0;
  while (i + 4 <= s1) {
    const blockEnd = min(s1 & ~3, i + 1024);
    let acc = f32x4.splat(0);
    for (; i < blockEnd; i += 4) {
      const v = v128.load(x + (<usize>i << 2));
      acc = f32x4.add(acc, f32x4.mul(v, v));
    }
    total += <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1) + <f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3);
  }
  for (; i < s1; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2));
    total += v * v;
  }
  store<f64>(partials + (<usize>thread << 3), total);
}

// @ts-ignore: decorator
@inline
export function dot(a: usize, b: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) acc = f32x4.add(acc, f32x4.mul(v128.load(a + (<usize>i << 2)), v128.load(b + (<usize>i << 2))));
  let s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; i < n; i++) s += load<f32>(a + (<usize>i << 2)) * load<f32>(b + (<usize>i << 2));
  return s;
}

/** y += alpha · x over n floats. */
// @ts-ignore: decorator
@inline
export function axpy(y: usize, x: usize, alpha: f32, n: i32): void {
  const av = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(av, v128.load(x + o))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(y + o) + alpha * load<f32>(x + o));
  }
}

export function rowDot(a: usize, b: usize, out: usize, M: i32, H: i32): void {
  for (let m = 0; m < M; m++) store<f32>(out + (<usize>m << 2), dot(a + (<usize>m * H << 2), b + (<usize>m * H << 2), H));
}
