/**
 * erf by Abramowitz & Stegun 7.1.26 (absolute error ≤ 1.5e-7, below float32 resolution of GELU's
 * output). JavaScript has no Math.erf, and WGSL has none either: the WebGPU kernels use the same
 * formula and constants so both backends agree.
 */
export const ERF_COEFFICIENTS = {
  p: 0.3275911,
  a1: 0.254829592,
  a2: -0.284496736,
  a3: 1.421413741,
  a4: -1.453152027,
  a5: 1.061405429,
} as const;

export function erf(x: number): number {
  const { p, a1, a2, a3, a4, a5 } = ERF_COEFFICIENTS;
  const sign = x < 0 ? -1 : 1;
  const ax = Math.abs(x);
  const t = 1 / (1 + p * ax);
  const y = 1 - ((((a5 * t + a4) * t + a3) * t + a2) * t + a1) * t * Math.exp(-ax * ax);
  return sign * y;
}
