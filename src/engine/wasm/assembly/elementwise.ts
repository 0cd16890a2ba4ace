// Elementwise ops over [start, end) slices of flat f32 arrays; threads split the range.

// @ts-ignore: decorator
@inline
function sliceOf(n: i32, thread: i32, threads: i32): i64 {
  // 4-aligned chunk boundaries so every slice but the last is whole vectors.
  const per = ((n + threads - 1) / threads + 3) & ~3;
  const s = min(n, thread * per), e = min(n, s + per);
  return (<i64>s << 32) | <i64>e;
}

export function fill(x: usize, n: i32, value: f32): void {
  const v = f32x4.splat(value);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(x + (<usize>i << 2), v);
  for (; i < n; i++) store<f32>(x + (<usize>i << 2), value);
}

/** out = a + scaleB·b (add: scaleB 1; addInPlace: out = a). */
export function addScaled(a: usize, b: usize, out: usize, n: i32, scaleB: f32, thread: i32, threads: i32): void {
  const r = sliceOf(n, thread, threads);
  let i = <i32>(r >> 32);
  const end = <i32>r;
  const s = f32x4.splat(scaleB);
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.add(v128.load(a + o), f32x4.mul(s, v128.load(b + o))));
  }
  for (; i < end; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(a + o) + scaleB * load<f32>(b + o));
  }
}

/** out = a + b exactly (no multiply, so it rounds as the reference's a + b does). */
export function add(a: usize, b: usize, out: usize, n: i32, thread: i32, threads: i32): void {
  const r = sliceOf(n, thread, threads);
  let i = <i32>(r >> 32);
  const end = <i32>r;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.add(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < end; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(a + o) + load<f32>(b + o));
  }
}

export function scale(x: usize, out: usize, n: i32, factor: f32, thread: i32, threads: i32): void {
  const r = sliceOf(n, thread, threads);
  let i = <i32>(r >> 32);
  const end = <i32>r;
  const f = f32x4.splat(factor);
  for (; i + 4 <= end; i += 4) v128.store(out + (<usize>i << 2), f32x4.mul(v128.load(x + (<usize>i << 2)), f));
  for (; i < end; i++) store<f32>(out + (<usize>i << 2), load<f32>(x + (<usize>i << 2)) * factor);
}

/** out[m, :] = x[m, :] * s[m] */
export function rowScale(x: usize, s: usize, out: usize, M: i32, N: i32): void {
  for (let m = 0; m < M; m++) {
    const f = load<f32>(s + (<usize>m << 2));
    const fv = f32x4.splat(f);
    const row = <usize>m * N << 2;
    let n = 0;
    for (; n + 4 <= N; n += 4) v128.store(out + row + (<usize>n << 2), f32x4.mul(v128.load(x + row + (<usize>n << 2)), fv));
    for (; n < N; n++) store<f32>(out + row + (<usize>n << 2), load<f32>(x + row + (<usize>n << 2)) * f);
  }
}

/** Copies `bytes` bytes; regions may overlap. */
export function copyBytes(dst: usize, src: usize, bytes: i32): void {
  memory.copy(dst, src, <usize>bytes);
}

export function zeroBytes(dst: usize, bytes: i32): void {
  memory.fill(dst, 0, <usize>bytes);
}

/** Copies `width` columns of each of `rows` rows between two row strides (slice, un-slice). */
export function copyColumns(src: usize, srcCols: i32, dst: usize, dstCols: i32, rows: i32, width: i32): void {
  for (let m = 0; m < rows; m++) memory.copy(dst + (<usize>m * dstCols << 2), src + (<usize>m * srcCols << 2), <usize>width << 2);
}

// erf by Abramowitz & Stegun 7.1.26, the constants of src/engine/math.ts (all backends share them).
// @ts-ignore: decorator
@inline
function erf(x: f64): f64 {
  const sign: f64 = x < 0 ? -1 : 1;
  const ax = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * ax);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-ax * ax);
  return sign * y;
}

/**
 * e^x for four x ≤ 0 in f32: x = n·ln2 + r with |r| ≤ ln2/2, e^r by its degree-6 Taylor
 * polynomial (relative error < 2e-7 over that range), 2^n put straight into the exponent bits.
 * Below -87 the result would leave the normal range, and GELU only needs it to be ~0 there.
 */
// @ts-ignore: decorator
@inline
export function expNegative4(x: v128): v128 {
  const xc = f32x4.max(x, f32x4.splat(-87));
  const n = f32x4.nearest(f32x4.mul(xc, f32x4.splat(1.4426950408889634)));
  // ln 2 in two parts so n·ln2 is exact in f32 for the |n| ≤ 126 that occur.
  const r = f32x4.sub(f32x4.sub(xc, f32x4.mul(n, f32x4.splat(0.693145751953125))), f32x4.mul(n, f32x4.splat(1.428606765330187e-6)));
  let p = f32x4.splat(1.0 / 720);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 120));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 24));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 6));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.5));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, scale);
}

/** Φ(z) = ½(1 + erf(z/√2)) for four z, by the Abramowitz–Stegun erf every backend uses, in f32. */
// @ts-ignore: decorator
@inline
function normalCdf4(z: v128): v128 {
  const x = f32x4.mul(z, f32x4.splat(<f32>Math.SQRT1_2));
  const ax = f32x4.abs(x);
  const t = f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), f32x4.mul(f32x4.splat(0.3275911), ax)));
  let q = f32x4.sub(f32x4.mul(f32x4.splat(1.061405429), t), f32x4.splat(1.453152027));
  q = f32x4.add(f32x4.mul(q, t), f32x4.splat(1.421413741));
  q = f32x4.sub(f32x4.mul(q, t), f32x4.splat(0.284496736));
  q = f32x4.add(f32x4.mul(q, t), f32x4.splat(0.254829592));
  const y = f32x4.sub(f32x4.splat(1), f32x4.mul(f32x4.mul(q, t), expNegative4(f32x4.neg(f32x4.mul(ax, ax)))));
  // erf is odd: |erf| from the polynomial, the sign from x.
  const signed = v128.or(v128.and(y, i32x4.splat(0x7fffffff)), v128.and(x, i32x4.splat(0x80000000)));
  return f32x4.mul(f32x4.splat(0.5), f32x4.add(f32x4.splat(1), signed));
}

/**
 * GELU (erf form). Whole vectors in f32 SIMD, the ragged end through the f64 scalar formula; the
 * two agree to f32 rounding (the A–S approximation's own error, 1.5e-7, is the larger).
 */
export function gelu(x: usize, out: usize, n: i32, thread: i32, threads: i32): void {
  const r = sliceOf(n, thread, threads);
  let i = <i32>(r >> 32);
  const end = <i32>r;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(x + o);
    v128.store(out + o, f32x4.mul(v, normalCdf4(v)));
  }
  for (; i < end; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2));
    store<f32>(out + (<usize>i << 2), <f32>(0.5 * v * (1 + erf(v * Math.SQRT1_2))));
  }
}

export function geluBackward(dy: usize, x: usize, out: usize, n: i32, thread: i32, threads: i32): void {
  const r = sliceOf(n, thread, threads);
  const invSqrt2Pi = 1 / Math.sqrt(2 * Math.PI);
  let i = <i32>(r >> 32);
  const end = <i32>r;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    const z = v128.load(x + o);
    const density = f32x4.mul(f32x4.splat(<f32>invSqrt2Pi), expNegative4(f32x4.mul(f32x4.splat(-0.5), f32x4.mul(z, z))));
    v128.store(out + o, f32x4.mul(v128.load(dy + o), f32x4.add(normalCdf4(z), f32x4.mul(z, density))));
  }
  for (; i < end; i++) {
    const z = <f64>load<f32>(x + (<usize>i << 2));
    const cdf = 0.5 * (1 + erf(z * Math.SQRT1_2));
    const d = <f64>load<f32>(dy + (<usize>i << 2));
    store<f32>(out + (<usize>i << 2), <f32>(d * (cdf + z * invSqrt2Pi * Math.exp(-0.5 * z * z))));
  }
}

/** The dropout hash of src/engine/backend.ts (dropoutUniform) as a u32: keep ⇔ hash ≥ threshold. */
// @ts-ignore: decorator
@inline
export function dropoutHash(seed: u32, index: u32): u32 {
  let state: u32 = index * 747796405 + 2891336453 + seed * 277803737;
  const word: u32 = ((state >>> ((state >>> 28) + 4)) ^ state) * 277803737;
  state = (word >>> 22) ^ word;
  return state;
}

/** out[i] = hash(seed, i) ≥ threshold ? x[i] · keepScale : 0; threshold = ceil(p · 2^32) (as f64). */
export function dropout(x: usize, out: usize, n: i32, threshold: f64, keepScale: f32, seed: u32, thread: i32, threads: i32): void {
  const r = sliceOf(n, thread, threads);
  for (let i = <i32>(r >> 32); i < <i32>r; i++) {
    const keep = <f64>dropoutHash(seed, <u32>i) >= threshold;
    store<f32>(out + (<usize>i << 2), keep ? load<f32>(x + (<usize>i << 2)) * keepScale : 0);
  }
}
