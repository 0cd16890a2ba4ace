/**
 * Lets the worker's event loop run: queued messages from the page (pause, cancel, a checkpoint
 * request) are handled before the promise resolves. The CPU and wasm backends compute a step
 * synchronously and resolve its loss at once, so a training loop that only awaits those promises
 * never yields a macrotask and never sees a Pause click. A MessageChannel round trip is a task
 * with no timer clamping (setTimeout is held to >= 4 ms once nested).
 */
export function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      // Closed ports keep neither a worker nor Node's process alive.
      port1.close();
      port2.close();
      resolve();
    };
    port2.postMessage(null);
  });
}
