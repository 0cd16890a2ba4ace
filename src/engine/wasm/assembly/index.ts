// The engine's WebAssembly module: every kernel of the `wasm` backend. Kernels take byte offsets
// into the one (possibly shared) memory and, where they split work, (thread, threads).
export { gemmBlock, gemmPackB, packedBBytes, threadScratchBytes, KC } from './gemm';
export { add, addScaled, copyBytes, copyColumns, dropout, fill, gelu, geluBackward, rowScale, scale, zeroBytes } from './elementwise';
export { rowDot, sumRows, sumSquares } from './reduce';
export { gather, scatterAdd } from './embedding';
export { layerNorm, layerNormBackward } from './layernorm';
export { attention, attentionBackward } from './attention';
export { l2Normalize, l2NormalizeBackward, maxPool, maxPoolBackward, weightedPool, weightedPoolBackward } from './pooling';
export { adamw } from './optimizer';

export function heapBase(): usize {
  return __heap_base;
}
