import { useEffect, useState } from 'react';

type AdapterState = { status: 'checking' } | { status: 'webgpu'; summary: string } | { status: 'cpu'; reason: string };

/** Placeholder page until the studio panels land: says which backend this browser would train on. */
export function App() {
  const [adapter, setAdapter] = useState<AdapterState>({ status: 'checking' });
  useEffect(() => {
    let cancelled = false;
    (async () => {
      const gpu = typeof navigator !== 'undefined' ? navigator.gpu : undefined;
      const found = gpu ? await gpu.requestAdapter() : null;
      if (cancelled) return;
      if (found) setAdapter({ status: 'webgpu', summary: `${found.info.vendor} ${found.info.architecture}`.trim() || 'WebGPU adapter' });
      else setAdapter({ status: 'cpu', reason: gpu ? 'no WebGPU adapter was offered' : 'this browser has no WebGPU' });
    })();
    return () => {
      cancelled = true;
    };
  }, []);
  return (
    <main style={{ fontFamily: 'system-ui, sans-serif', maxWidth: 720, margin: '3rem auto', lineHeight: 1.5 }}>
      <h1>Embedding Studio</h1>
      <p>Fine-tune sentence-embedding models in your browser. Your data never leaves this machine.</p>
      <p data-testid="backend-status">
        {adapter.status === 'checking' && 'Looking for a WebGPU adapter…'}
        {adapter.status === 'webgpu' && `Training backend: WebGPU (${adapter.summary})`}
        {adapter.status === 'cpu' && `Training backend: CPU (${adapter.reason})`}
      </p>
      <p>The studio panels (model, data, playground, train, compare, export) are being built; the command line already trains.</p>
    </main>
  );
}
