// Pooling heads and L2 normalisation.
import { axpy } from './reduce';

/** out[b] = Σ_t w[b, t] x[b·T + t] */
export function weightedPool(x: usize, w: usize, out: usize, B: i32, T: i32, H: i32): void {
  memory.fill(out, 0, <usize>(B * H) << 2);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const wt = load<f32>(w + (<usize>(b * T + t) << 2));
      if (wt == 0) continue;
      axpy(out + (<usize>(b * H) << 2), x + (<usize>((b * T + t) * H) << 2), wt, H);
    }
  }
}

export function weightedPoolBackward(dy: usize, w: usize, out: usize, B: i32, T: i32, H: i32): void {
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const wt = f32x4.splat(load<f32>(w + (<usize>(b * T + t) << 2)));
      const src = dy + (<usize>(b * H) << 2), dst = out + (<usize>((b * T + t) * H) << 2);
      let h = 0;
      for (; h + 4 <= H; h += 4) v128.store(dst + (<usize>h << 2), f32x4.mul(wt, v128.load(src + (<usize>h << 2))));
      const ws = f32x4.extract_lane(wt, 0);
      for (; h < H; h++) store<f32>(dst + (<usize>h << 2), ws * load<f32>(src + (<usize>h << 2)));
    }
  }
}

/** Max over tokens with mask 1 (masked tokens count as -1e9); the first maximum wins. */
export function maxPool(x: usize, mask: usize, out: usize, argmax: usize, B: i32, T: i32, H: i32): void {
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      let best = <f32>-Infinity, bestT = 0;
      for (let t = 0; t < T; t++) {
        const v = load<f32>(mask + (<usize>(b * T + t) << 2)) != 0 ? load<f32>(x + (<usize>((b * T + t) * H + h) << 2)) : <f32>-1e9;
        if (v > best) {
          best = v;
          bestT = t;
        }
      }
      store<f32>(out + (<usize>(b * H + h) << 2), best);
      store<i32>(argmax + (<usize>(b * H + h) << 2), bestT);
    }
  }
}

export function maxPoolBackward(dy: usize, argmax: usize, out: usize, B: i32, T: i32, H: i32): void {
  memory.fill(out, 0, <usize>(B * T * H) << 2);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const t = load<i32>(argmax + (<usize>(b * H + h) << 2));
      const o = out + (<usize>((b * T + t) * H + h) << 2);
      store<f32>(o, load<f32>(o) + load<f32>(dy + (<usize>(b * H + h) << 2)));
    }
  }
}

export function l2Normalize(x: usize, y: usize, norm: usize, M: i32, H: i32): void {
  for (let m = 0; m < M; m++) {
    const row = x + (<usize>(m * H) << 2);
    let s: f64 = 0;
    for (let h = 0; h < H; h++) {
      const v = <f64>load<f32>(row + (<usize>h << 2));
      s += v * v;
    }
    const n = Math.sqrt(s);
    store<f32>(norm + (<usize>m << 2), <f32>n);
    // In f64 as the reference does: one rounding per element, so a row of one gives exactly ±1.
    const inv = 1 / Math.max(n, 1e-12);
    for (let h = 0; h < H; h++) store<f32>(y + (<usize>(m * H + h) << 2), <f32>(<f64>load<f32>(row + (<usize>h << 2)) * inv));
  }
}

export function l2NormalizeBackward(dy: usize, y: usize, norm: usize, dx: usize, M: i32, H: i32): void {
  // In f64 as the reference does (rows are one embedding each: cheap), so the projection cancels
  // exactly where it should (a row of one has gradient exactly 0).
  for (let m = 0; m < M; m++) {
    const n = <f64>load<f32>(norm + (<usize>m << 2));
    const inv = 1 / Math.max(n, 1e-12);
    const d = dy + (<usize>(m * H) << 2), yr = y + (<usize>(m * H) << 2), o = dx + (<usize>(m * H) << 2);
    // Below the clamp the op is a plain scaling, so no projection term.
    let proj: f64 = 0;
    if (n > 1e-12) for (let h = 0; h < H; h++) proj += <f64>load<f32>(d + (<usize>h << 2)) * <f64>load<f32>(yr + (<usize>h << 2));
    for (let h = 0; h < H; h++) {
      const k = <usize>h << 2;
      store<f32>(o + k, <f32>(inv * (<f64>load<f32>(d + k) - <f64>load<f32>(yr + k) * proj)));
    }
  }
}
