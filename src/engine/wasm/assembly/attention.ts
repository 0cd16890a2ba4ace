// Masked softmax attention per (batch, head), forward and backward, the reference's loops with the
// head dimension in SIMD. Threads take whole (batch, head) units, so their writes never overlap.
import { dropoutHash, expNegative4 } from './elementwise';
import { axpy, dot } from './reduce';

export function attention(
  qkv: usize, keyMask: usize, out: usize, probs: usize, B: i32, T: i32, NH: i32, D: i32,
  threshold: f64, keepScale: f32, seed: u32, scratch: usize, thread: i32, threads: i32,
): void {
  const H = NH * D, H3 = 3 * H;
  const scale = <f32>(1 / Math.sqrt(<f64>D));
  const scores = scratch + (<usize>thread * T << 2);
  for (let u = thread; u < B * NH; u += threads) {
    const b = u / NH, h = u % NH;
    for (let i = 0; i < T; i++) {
      const q = qkv + ((<usize>(b * T + i) * H3 + h * D) << 2);
      let max = <f32>-Infinity;
      for (let j = 0; j < T; j++) {
        let s = <f32>-Infinity;
        if (load<f32>(keyMask + (<usize>(b * T + j) << 2)) != 0) {
          s = dot(q, qkv + ((<usize>(b * T + j) * H3 + H + h * D) << 2), D) * scale;
          if (s > max) max = s;
        }
        store<f32>(scores + (<usize>j << 2), s);
      }
      // e^(s − max) four keys at a time; masked keys (score −∞) get exactly 0.
      const maxV = f32x4.splat(max);
      let zv = f32x4.splat(0);
      let j = 0;
      for (; j + 4 <= T; j += 4) {
        const sv = v128.load(scores + (<usize>j << 2));
        const live = f32x4.ne(sv, f32x4.splat(-Infinity));
        const e = v128.and(expNegative4(f32x4.sub(sv, maxV)), live);
        v128.store(scores + (<usize>j << 2), e);
        zv = f32x4.add(zv, e);
      }
      let z: f32 = f32x4.extract_lane(zv, 0) + f32x4.extract_lane(zv, 1) + f32x4.extract_lane(zv, 2) + f32x4.extract_lane(zv, 3);
      for (; j < T; j++) {
        const s = load<f32>(scores + (<usize>j << 2));
        const e = s == <f32>-Infinity ? <f32>0 : Mathf.exp(s - max);
        store<f32>(scores + (<usize>j << 2), e);
        z += e;
      }
      const pRow = probs + (<usize>((u * T + i) * T) << 2);
      const o = out + ((<usize>(b * T + i) * H + h * D) << 2);
      memory.fill(o, 0, <usize>D << 2);
      for (let j = 0; j < T; j++) {
        const p = z > 0 ? load<f32>(scores + (<usize>j << 2)) / z : <f32>0;
        store<f32>(pRow + (<usize>j << 2), p);
        // Without dropout (threshold 0: encoding, eval) every probability is kept as it is.
        const used = threshold == 0 ? p : <f64>dropoutHash(seed, <u32>((u * T + i) * T + j)) >= threshold ? p * keepScale : <f32>0;
        if (used != 0) axpy(o, qkv + ((<usize>(b * T + j) * H3 + 2 * H + h * D) << 2), used, D);
      }
    }
  }
}

export function attentionBackward(
  dOut: usize, qkv: usize, probs: usize, dqkv: usize, B: i32, T: i32, NH: i32, D: i32,
  threshold: f64, keepScale: f32, seed: u32, scratch: usize, thread: i32, threads: i32,
): void {
  const H = NH * D, H3 = 3 * H;
  const scale = <f32>(1 / Math.sqrt(<f64>D));
  const dP = scratch + (<usize>thread * T << 2);
  for (let u = thread; u < B * NH; u += threads) {
    const b = u / NH, h = u % NH;
    for (let t = 0; t < T; t++) {
      const row = dqkv + ((<usize>(b * T + t) * H3 + h * D) << 2);
      memory.fill(row, 0, <usize>D << 2);
      memory.fill(row + (<usize>H << 2), 0, <usize>D << 2);
      memory.fill(row + (<usize>(2 * H) << 2), 0, <usize>D << 2);
    }
    for (let i = 0; i < T; i++) {
      const pRow = probs + (<usize>((u * T + i) * T) << 2);
      const dO = dOut + ((<usize>(b * T + i) * H + h * D) << 2);
      let sum: f32 = 0;
      for (let j = 0; j < T; j++) {
        const vOff = (<usize>(b * T + j) * H3 + 2 * H + h * D) << 2;
        const k = threshold == 0 ? <f32>1 : <f64>dropoutHash(seed, <u32>((u * T + i) * T + j)) >= threshold ? keepScale : <f32>0;
        const d = dot(dO, qkv + vOff, D) * k;
        store<f32>(dP + (<usize>j << 2), d);
        const p = load<f32>(pRow + (<usize>j << 2));
        sum += d * p;
        const used = p * k;
        if (used != 0) axpy(dqkv + vOff, dO, used, D);
      }
      const qOff = (<usize>(b * T + i) * H3 + h * D) << 2;
      for (let j = 0; j < T; j++) {
        const p = load<f32>(pRow + (<usize>j << 2));
        if (p == 0) continue;
        const dS = p * (load<f32>(dP + (<usize>j << 2)) - sum) * scale;
        const kOff = (<usize>(b * T + j) * H3 + H + h * D) << 2;
        axpy(dqkv + qOff, qkv + kOff, dS, D);
        axpy(dqkv + kOff, qkv + qOff, dS, D);
      }
    }
  }
}
