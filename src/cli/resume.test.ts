import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CpuBackend } from '../engine/cpu/cpu-backend.ts';
import { folderFiles } from '../io/folder-files.ts';
import { readCheckpoint } from '../io/checkpoint-files.ts';
import { loadSentenceModel } from '../io/load-model.ts';
import { HAVE_FIXTURES, SKIP_REASON, TINY_BERT_MODEL_DIR, maxRelativeError } from '../../test/support/tiny-bert.ts';
import { main } from './main.ts';

/**
 * `train --checkpoint-every N` and `train --resume DIR`: a run that dies after a checkpoint and is
 * resumed prints the same remaining JSON lines as a run that never stopped (losses ≤ 1e-4), on a
 * copy of tiny-bert with dropout on so the RNG states matter.
 */
if (!HAVE_FIXTURES) console.warn(SKIP_REASON);
const SAMPLE = path.resolve('public/samples/support-faq.jsonl');

interface Line {
  step: number;
  epoch: number;
  loss: number;
  lr: number;
}

/** main() in-process; `crashAfterLines` makes stdout fail like a dying process after that many lines. */
async function cli(argv: string[], crashAfterLines = Infinity): Promise<{ code: number; lines: Line[]; stderr: string }> {
  let stdout = '', stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    if (stdout.split('\n').length > crashAfterLines) throw new Error('killed');
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  try {
    const code = await main(argv);
    const lines = stdout.trim() ? stdout.trim().split('\n').map((l) => JSON.parse(l) as Line) : [];
    return { code, lines, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe.skipIf(!HAVE_FIXTURES)('train --checkpoint-every / --resume', () => {
  let dir: string;
  let modelDir: string;
  const common = () => ['train', '--model', modelDir, '--data', SAMPLE, '--loss', 'mnrl', '--steps', '6', '--batch-size', '16', '--lr', '1e-3', '--warmup-steps', '2', '--seed', '11'];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'es-resume-'));
    modelDir = path.join(dir, 'tiny-bert-dropout');
    await cp(TINY_BERT_MODEL_DIR, modelDir, { recursive: true });
    const config = JSON.parse(await readFile(path.join(modelDir, 'config.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(path.join(modelDir, 'config.json'), JSON.stringify({ ...config, hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1 }));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('3 steps, a crash, then --resume prints the same remaining lines as 6 uninterrupted steps', async () => {
    const whole = await cli([...common(), '--out', path.join(dir, 'whole')]);
    expect(whole.code).toBe(0);
    expect(whole.lines.map((l) => l.step)).toEqual([1, 2, 3, 4, 5, 6]);
    // Without --checkpoint-every nothing but the model is written.
    expect(existsSync(path.join(dir, 'whole', 'checkpoint'))).toBe(false);

    const out = path.join(dir, 'resumed');
    const crashed = await cli([...common(), '--checkpoint-every', '3', '--out', out], 4);
    expect(crashed.code).toBe(1);
    expect(crashed.lines.map((l) => l.step)).toEqual([1, 2, 3, 4]);
    expect(await readdir(out)).toEqual(['checkpoint']); // the checkpoint from step 3, no model
    expect((await readCheckpoint(path.join(out, 'checkpoint'))).state.step).toBe(3);
    crashed.lines.forEach((l, i) => expect(Math.abs(l.loss - whole.lines[i].loss)).toBeLessThanOrEqual(1e-4));

    // The checkpoint folder itself: the output goes to its parent.
    const resumed = await cli(['train', '--resume', path.join(out, 'checkpoint')]);
    expect(resumed.stderr).toMatch(/resuming .* at step 3 of 6/);
    expect(resumed.code).toBe(0);
    expect(resumed.lines.map((l) => l.step)).toEqual([4, 5, 6]);
    resumed.lines.forEach((l, i) => {
      const want = whole.lines[3 + i];
      expect(Math.abs(l.loss - want.loss), `step ${l.step}`).toBeLessThanOrEqual(1e-4);
      expect(l.lr).toBe(want.lr);
      expect(l.epoch).toBe(want.epoch);
    });

    // The output folder now holds the model and the final checkpoint, and the model matches.
    const files = await readdir(out);
    expect(files).toContain('model.safetensors');
    expect(files).toContain('checkpoint');
    const final = await readCheckpoint(path.join(out, 'checkpoint'));
    expect(final.state.step).toBe(6);
    expect(final.state.losses.map((l) => l.step)).toEqual([1, 2, 3, 4, 5, 6]);
    const backend = new CpuBackend();
    const a = await loadSentenceModel(folderFiles(out), backend);
    const b = await loadSentenceModel(folderFiles(path.join(dir, 'whole')), backend);
    const texts = ['How do I return an item?', '退货流程'];
    expect(maxRelativeError(await a.model.encode(texts), await b.model.encode(texts))).toBeLessThan(1e-4);

    // Resuming a finished run (the output folder form) has nothing left to do.
    const again = await cli(['train', '--resume', out]);
    expect(again.code).toBe(0);
    expect(again.lines).toEqual([]);
  });

  it('refuses run settings with --resume and a folder without a checkpoint', async () => {
    const r = await cli(['train', '--resume', path.join(dir, 'resumed'), '--lr', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/drop --lr/);
    const none = await cli(['train', '--resume', path.join(dir, 'whole')]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/holds no checkpoint/);
    const bad = await cli([...common(), '--checkpoint-every', '0', '--out', path.join(dir, 'x')]);
    expect(bad.code).toBe(2);
  });

  it('stops at a non-finite loss with advice, keeping the last good checkpoint and writing no model', async () => {
    const out = path.join(dir, 'exploded');
    const r = await cli([...common(), '--lr', '1e30', '--checkpoint-every', '1', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: training stopped at step (\d+): .*lower learning rate/);
    const failed = Number(/step (\d+)/.exec(r.stderr)![1]);
    expect(r.lines.map((l) => l.step)).toEqual(Array.from({ length: failed - 1 }, (_, i) => i + 1));
    expect(await readdir(out)).toEqual(['checkpoint']);
    const last = await readCheckpoint(path.join(out, 'checkpoint'));
    expect(last.state.step).toBe(failed - 1);
    expect(last.tensors.params.every(Number.isFinite)).toBe(true);
  });
});
