// LayerNorm over rows of H, statistics in f64 as the reference computes them.

export function layerNorm(x: usize, gamma: usize, beta: usize, y: usize, mean: usize, rstd: usize, M: i32, H: i32, eps: f64, thread: i32, threads: i32): void {
  const per = (M + threads - 1) / threads;
  const m0 = min(M, thread * per), m1 = min(M, m0 + per);
  for (let m = m0; m < m1; m++) {
    const row = x + (<usize>m * H << 2), out = y + (<usize>m * H << 2);
    let s: f64 = 0;
    for (let h = 0; h < H; h++) s += <f64>load<f32>(row + (<usize>h << 2));
    const mu = s / H;
    let q: f64 = 0;
    for (let h = 0; h < H; h++) {
      const d = <f64>load<f32>(row + (<usize>h << 2)) - mu;
      q += d * d;
    }
    const r = 1 / Math.sqrt(q / H + eps);
    store<f32>(mean + (<usize>m << 2), <f32>mu);
    store<f32>(rstd + (<usize>m << 2), <f32>r);
    const muv = f32x4.splat(<f32>mu), rv = f32x4.splat(<f32>r);
    let h = 0;
    for (; h + 4 <= H; h += 4) {
      const o = <usize>h << 2;
      const xh = f32x4.mul(f32x4.sub(v128.load(row + o), muv), rv);
      v128.store(out + o, f32x4.add(f32x4.mul(xh, v128.load(gamma + o)), v128.load(beta + o)));
    }
    for (; h < H; h++) {
      const o = <usize>h << 2;
      store<f32>(out + o, (load<f32>(row + o) - <f32>mu) * <f32>r * load<f32>(gamma + o) + load<f32>(beta + o));
    }
  }
}

/**
 * dx for rows [m0, m1) of this thread, and that slice's dGamma / dBeta partial sums written to
 * partial + thread·2H (f32): the host adds the partials into the parameter gradients in thread order.
 */
export function layerNormBackward(
  dy: usize, x: usize, gamma: usize, mean: usize, rstd: usize, dx: usize, partial: usize, M: i32, H: i32,
  thread: i32, threads: i32,
): void {
  const per = (M + threads - 1) / threads;
  const m0 = min(M, thread * per), m1 = min(M, m0 + per);
  const dg = partial + (<usize>thread * 2 * H << 2), db = dg + (<usize>H << 2);
  memory.fill(dg, 0, <usize>(2 * H) << 2);
  for (let m = m0; m < m1; m++) {
    const mu = load<f32>(mean + (<usize>m << 2)), rs = load<f32>(rstd + (<usize>m << 2));
    const row = <usize>m * H << 2;
    let sumDn: f64 = 0, sumDnX: f64 = 0;
    for (let h = 0; h < H; h++) {
      const o = <usize>h << 2;
      const xhat = (load<f32>(x + row + o) - mu) * rs;
      const d = load<f32>(dy + row + o);
      const dn = d * load<f32>(gamma + o);
      sumDn += dn;
      sumDnX += <f64>(dn * xhat);
      store<f32>(dg + o, load<f32>(dg + o) + d * xhat);
      store<f32>(db + o, load<f32>(db + o) + d);
    }
    const a = <f32>(sumDn / H), b = <f32>(sumDnX / H);
    for (let h = 0; h < H; h++) {
      const o = <usize>h << 2;
      const xhat = (load<f32>(x + row + o) - mu) * rs;
      const dn = load<f32>(dy + row + o) * load<f32>(gamma + o);
      store<f32>(dx + row + o, rs * (dn - a - xhat * b));
    }
  }
}
