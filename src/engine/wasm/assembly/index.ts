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

/**
 * Reads the byte at `addr` on every thread: after the memory grows, a helper whose instance has
 * not yet seen the new size traps here, harmlessly, instead of in a kernel that writes.
 */
export function touchMemory(addr: usize, thread: i32, threads: i32): i32 {
  return <i32>load<u8>(addr);
}
