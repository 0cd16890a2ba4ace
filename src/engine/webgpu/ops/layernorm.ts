/** LayerNorm, forward and backward. */
import type { LayerNormResult, Tensor } from '../../backend.ts';
import { grid1d, gridRows } from '../kernel.ts';
import { layerNormBackwardKernel, layerNormKernel, layerNormParamGradKernel } from '../kernels/layernorm.ts';
import type { WebGpuRuntime } from '../runtime.ts';
import { gpuTensor, rowsCols } from '../tensor.ts';

export function layerNorm(k: WebGpuRuntime, x: Tensor, gamma: Tensor, beta: Tensor, eps: number): LayerNormResult {
  const [M, H] = rowsCols(x);
  const y = k.alloc([M, H]), mean = k.alloc([M]), rstd = k.alloc([M]);
  if (M === 0) return { y, mean, rstd };
  k.rec.run(layerNormKernel, [M, H, eps], [gpuTensor(x), gpuTensor(gamma), gpuTensor(beta), y, mean, rstd], gridRows(M));
  return { y, mean, rstd };
}

export function layerNormBackward(k: WebGpuRuntime, dy: Tensor, x: Tensor, gamma: Tensor, mean: Tensor, rstd: Tensor, dGamma: Tensor, dBeta: Tensor): Tensor {
  const [M, H] = rowsCols(x);
  const dx = k.alloc(x.shape);
  const [d, xv, mu, rs] = [gpuTensor(dy), gpuTensor(x), gpuTensor(mean), gpuTensor(rstd)];
  if (M > 0) k.rec.run(layerNormBackwardKernel, [M, H], [d, xv, gpuTensor(gamma), mu, rs, dx], gridRows(M));
  k.rec.run(layerNormParamGradKernel, [M, H], [d, xv, mu, rs, gpuTensor(dGamma), gpuTensor(dBeta)], grid1d(H));
  return dx;
}
