/**
 * Where a training step's time goes, per backend method: wraps every method of a backend in a
 * timer and runs a few MNRL steps of the MiniLM-L6 shape. `npx tsx bench/profile-ops.ts wasm 8 32`.
 */
import type { Backend } from '../src/engine/backend.ts';
import { CpuBackend } from '../src/engine/cpu/cpu-backend.ts';
import { ParamLayout, ParamStore } from '../src/engine/params.ts';
import { SeededRandom } from '../src/engine/rng.ts';
import { bertParamGroups, type TokenBatch } from '../src/model/bert.ts';
import { randomBertWeights } from '../src/model/init.ts';
import { DEFAULT_LOSS } from '../src/model/losses.ts';
import { SentenceModel } from '../src/model/sentence-model.ts';
import { MINILM_L6, NO_TOKENIZER } from './shared.ts';
import { Trainer } from '../src/model/trainer.ts';
import { TRAINER_DEFAULTS } from '../src/shared/settings.ts';

function timed(backend: Backend, totals: Map<string, { ms: number; calls: number }>): Backend {
  return new Proxy(backend, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function' || typeof key !== 'string') return value;
      return (...args: unknown[]) => {
        const start = performance.now();
        const out = (value as (...a: unknown[]) => unknown).apply(target, args);
        const t = totals.get(key) ?? { ms: 0, calls: 0 };
        t.ms += performance.now() - start;
        t.calls++;
        totals.set(key, t);
        return out;
      };
    },
  });
}

async function main(): Promise<void> {
  const [name = 'wasm', batchArg = '8', seqArg = '32'] = process.argv.slice(2);
  const batch = Number(batchArg);
  const seq = Number(seqArg);
  let raw: Backend;
  if (name === 'cpu') raw = new CpuBackend();
  else {
    const { createWasmBackend } = await import('../src/engine/wasm/wasm-backend.ts');
    const { nodeThreadSpawner, nodeThreadCount } = await import('../src/engine/wasm/node-threads.ts');
    raw = await createWasmBackend({ threads: name === 'wasm-1' ? 1 : nodeThreadCount(), spawn: nodeThreadSpawner });
  }
  const totals = new Map<string, { ms: number; calls: number }>();
  const backend = timed(raw, totals);
  const layout = new ParamLayout(bertParamGroups(MINILM_L6));
  const store = new ParamStore(backend, layout, randomBertWeights(layout, 1));
  const model = new SentenceModel(store, MINILM_L6, NO_TOKENIZER, { mode: 'mean', includePrompt: true }, true, 512);
  const trainer = new Trainer(model, { loss: { ...DEFAULT_LOSS, id: 'mnrl' }, optimizer: { ...TRAINER_DEFAULTS, lr: 2e-5 }, schedule: { kind: 'constant', warmupSteps: 0, totalSteps: 10 }, seed: 1 });
  const rng = new SeededRandom(2);
  const ids = new Int32Array(2 * batch * seq).map((_, i) => (i % seq === 0 ? 101 : 1000 + Math.floor(rng.next() * 29000)));
  const tb: TokenBatch = { batchSize: 2 * batch, seqLength: seq, inputIds: ids, attentionMask: new Int32Array(ids.length).fill(1), tokenTypeIds: new Int32Array(ids.length) };
  await trainer.finishStep(trainer.recordTokenizedStep({ batch: tb, promptLengths: [] }, 2)).loss;
  totals.clear();
  const steps = 2;
  const start = performance.now();
  for (let i = 0; i < steps; i++) await trainer.finishStep(trainer.recordTokenizedStep({ batch: tb, promptLengths: [] }, 2)).loss;
  const wall = performance.now() - start;
  const rows = [...totals].sort((a, b) => b[1].ms - a[1].ms);
  console.log(`${name} batch ${batch} seq ${seq}: ${(wall / steps).toFixed(0)} ms/step`);
  for (const [k, v] of rows.slice(0, 25)) console.log(`${k.padEnd(28)} ${(v.ms / steps).toFixed(1).padStart(9)} ms  ${String(v.calls / steps).padStart(6)} calls`);
  raw.destroy();
  process.exit(0);
}
void main();
