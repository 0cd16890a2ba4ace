// AdamW over flat buffers (torch.optim.AdamW: decoupled decay, bias correction), clip factor and
// the skip for a non-finite norm decided on the host.

export function adamw(
  p: usize, g: usize, m: usize, v: usize, n: i32, decayEnd: i32,
  lr: f32, beta1: f32, beta2: f32, eps: f32, weightDecay: f32, clip: f32, stepSize: f32, bc2Sqrt: f32,
  thread: i32, threads: i32,
): void {
  const per = ((n + threads - 1) / threads + 3) & ~3;
  const s0 = min(n, thread * per), s1 = min(n, s0 + per);
  const decay: f32 = <f32>1 - lr * weightDecay;
  for (let i = s0; i < s1; i++) {
    const o = <usize>i << 2;
    const gi = load<f32>(g + o) * clip;
    let pi = load<f32>(p + o);
    if (i < decayEnd) pi *= decay;
    const mi = beta1 * load<f32>(m + o) + (<f32>1 - beta1) * gi;
    const vi = beta2 * load<f32>(v + o) + (<f32>1 - beta2) * gi * gi;
    store<f32>(m + o, mi);
    store<f32>(v + o, vi);
    store<f32>(p + o, pi - (stepSize * mi) / (Mathf.sqrt(vi) / bc2Sqrt + eps));
  }
}
