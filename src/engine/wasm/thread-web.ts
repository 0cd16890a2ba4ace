/// <reference lib="webworker" />
// A wasm-backend helper thread as a Web Worker (the page's studio worker starts these).
import { type ThreadInit, threadLoop } from './thread-loop.js';

const scope = self as unknown as DedicatedWorkerGlobalScope;
scope.onmessage = (event: MessageEvent<ThreadInit>) => {
  threadLoop(event.data, () => scope.postMessage({ ready: true }), (message) => scope.postMessage({ error: message }));
};
