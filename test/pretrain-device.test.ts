/**
 * The GPU pre-training stage's round trip (scripts/pretrain-device.ts, scripts/device-pretrain.sh):
 * the arguments the device starts it with, and the checkpoint pieces it sends back, split and
 * summed by the same coreutils the device script uses.
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RECIPE, STAGES, stageTrainArgs } from '../scripts/pretrain-builtin.ts';
import { joinTensorPieces } from '../scripts/pretrain-device.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A file cut into 15 MiB pieces with its sum, exactly as device-pretrain.sh does it. */
function piecesOf(bytes: Uint8Array): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'device-run-'));
  dirs.push(dir);
  const file = path.join(dir, 'tensors.safetensors');
  writeFileSync(file, bytes);
  execFileSync('sh', ['-c', 'sha256sum tensors.safetensors > SHA256SUMS && split -b 15M -d -a 2 tensors.safetensors tensors.part- && rm tensors.safetensors'], { cwd: dir });
  return dir;
}

describe('the GPU stage', () => {
  const stage = STAGES.find((s) => s.onDevice)!;

  it('starts on the device with the arguments it would start with here, on webgpu', () => {
    const here = stageTrainArgs(stage, { model: 'm', data: 'd', out: 'o', backend: 'wasm' });
    const there = stageTrainArgs(stage, { model: 'm', data: 'd', out: 'o', backend: 'webgpu', steps: '@STEPS@' });
    const option = (args: string[], name: string) => args[args.indexOf(name) + 1];
    expect(option(there, '--backend')).toBe('webgpu');
    expect(option(there, '--steps')).toBe('@STEPS@');
    expect(option(here, '--steps')).toBe(String(stage.steps));
    for (const name of ['--loss', '--batch-size', '--mini-batch-size', '--lr', '--warmup-steps', '--scheduler', '--seed', '--checkpoint-every']) {
      expect(option(there, name)).toBe(option(here, name));
    }
    expect(option(there, '--batch-size')).not.toBe(String(RECIPE.batchSize));
  });

  it('joins the pieces it sends back into the same bytes, checked against its sum', () => {
    const bytes = new Uint8Array(31 * 1024 * 1024 + 17);
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.imul(i, 2654435761) >>> 24;
    const dir = piecesOf(bytes);
    expect(readdirSync(dir).filter((f) => f.startsWith('tensors.part-'))).toEqual(['tensors.part-00', 'tensors.part-01', 'tensors.part-02']);
    // Compared as buffers: toEqual walks a 31 MB array element by element.
    expect(Buffer.from(joinTensorPieces(dir)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('refuses pieces that lost a piece or were cut short', () => {
    const bytes = new Uint8Array(16 * 1024 * 1024).fill(7);
    const dir = piecesOf(bytes);
    truncateSync(path.join(dir, 'tensors.part-01'), 10);
    expect(() => joinTensorPieces(dir)).toThrow(/join to other bytes than the device's SHA256SUMS/);
    rmSync(path.join(dir, 'SHA256SUMS'));
    expect(() => joinTensorPieces(dir)).toThrow(/SHA256SUMS is missing/);
    for (const f of readdirSync(dir)) rmSync(path.join(dir, f));
    expect(() => joinTensorPieces(dir)).toThrow(/no tensors\.part-NN pieces/);
  });
});
