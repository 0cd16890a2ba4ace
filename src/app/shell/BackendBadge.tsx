import { useSession } from '../session-store.ts';

/** Which backend trains here, said plainly: WebGPU with its adapter, or WebAssembly / the CPU and why. */
export function BackendBadge() {
  const backend = useSession((s) => s.backend);
  const error = useSession((s) => s.backendError);
  if (error) return <span className="badge error" data-testid="backend-status">Engine failed to start: {error}</span>;
  if (!backend) return <span className="badge" data-testid="backend-status">Starting the engine…</span>;
  const a = backend.adapter;
  if (a.backend === 'cpu') {
    return (
      <span className="badge warn" data-testid="backend-status" title={backend.fallbackReason}>
        Training backend: CPU — {backend.fallbackReason ?? 'no WebGPU'}
      </span>
    );
  }
  if (a.backend === 'wasm') {
    return (
      <span className="badge ok" data-testid="backend-status" title={backend.fallbackReason}>
        Training backend: WebAssembly SIMD ({a.features.includes('threads') ? a.summary.match(/(\d+) threads/)?.[0] ?? 'threads' : '1 thread'}{a.features.includes('relaxed-simd') ? ', FMA' : ''}) — {backend.fallbackReason ?? 'chosen'}
      </span>
    );
  }
  const f16 = a.features.includes('shader-f16') ? ', f16' : '';
  return (
    <span className="badge ok" data-testid="backend-status" title={`maxBufferSize ${a.maxBufferSize}, maxStorageBufferBindingSize ${a.maxStorageBufferBindingSize}`}>
      Training backend: WebGPU ({a.vendor} {a.architecture}{a.isFallbackAdapter ? ', fallback adapter' : ''}{f16})
    </span>
  );
}
