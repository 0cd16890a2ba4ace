// Vitest global setup: build the wasm backend's module when its sources changed (fast when fresh).
import { buildWasm } from '../../scripts/build-wasm.ts';

export default async function setup(): Promise<void> {
  await buildWasm();
}
