// A wasm-backend helper thread under Node's worker_threads.
import { parentPort, workerData } from 'node:worker_threads';
import { threadLoop } from './thread-loop.js';

threadLoop(workerData, () => parentPort.postMessage({ ready: true }), (message) => parentPort.postMessage({ error: message }));
