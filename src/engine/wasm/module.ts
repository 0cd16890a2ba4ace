// The engine's compiled WebAssembly (see scripts/build-wasm.ts), compiled once per realm.
import { ENGINE_WASM_SINGLE_BASE64, ENGINE_WASM_THREADED_BASE64 } from './engine-wasm.generated.ts';

const compiled = new Map<'threaded' | 'single', Promise<WebAssembly.Module>>();

export function engineModule(kind: 'threaded' | 'single'): Promise<WebAssembly.Module> {
  let module = compiled.get(kind);
  if (!module) {
    module = WebAssembly.compile(decodeBase64(kind === 'threaded' ? ENGINE_WASM_THREADED_BASE64 : ENGINE_WASM_SINGLE_BASE64));
    compiled.set(kind, module);
  }
  return module;
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
