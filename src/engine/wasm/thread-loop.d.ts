export interface ThreadInit {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly control: SharedArrayBuffer;
  readonly index: number;
  readonly kernels: readonly string[];
}
export function threadLoop(init: ThreadInit, ready: () => void, report: (message: string) => void): void;
