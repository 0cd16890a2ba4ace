// The engine's compiled WebAssembly (see scripts/build-wasm.ts), compiled once per realm.
import { ENGINE_WASM_BASE64 } from './engine-wasm.generated.ts';

export type EngineBuild = keyof typeof ENGINE_WASM_BASE64;

const compiled = new Map<EngineBuild, Promise<WebAssembly.Module>>();

export function engineModule(build: EngineBuild): Promise<WebAssembly.Module> {
  let module = compiled.get(build);
  if (!module) {
    module = WebAssembly.compile(decodeBase64(ENGINE_WASM_BASE64[build]));
    compiled.set(build, module);
  }
  return module;
}

/** The build for this runtime: shared memory or not, and relaxed SIMD's fused multiply-add where it validates. */
export function engineBuild(threaded: boolean, relaxed = hasRelaxedSimd()): EngineBuild {
  return threaded ? (relaxed ? 'threadedRelaxed' : 'threaded') : relaxed ? 'singleRelaxed' : 'single';
}

/** `(func (param v128 v128 v128) (result v128) f32x4.relaxed_madd)`: valid only where relaxed SIMD is on. */
const RELAXED_MADD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0,
  10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, 253, 133, 2, 11,
]);

export function hasRelaxedSimd(): boolean {
  return WebAssembly.validate(RELAXED_MADD_PROBE);
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
