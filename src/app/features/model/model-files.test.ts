import { describe, expect, it } from 'vitest';
import type { ModelInfo } from '../../../worker/protocol.ts';
import { checkRepoId, commonTopFolder, isModelFile, planModelFolder, readModelFolder, retrievalFromModel } from './model-files.ts';

describe('planModelFolder', () => {
  it('strips the top folder and names the model after it', () => {
    const plan = planModelFolder(
      ['all-MiniLM-L6-v2/config.json', 'all-MiniLM-L6-v2/1_Pooling/config.json', 'all-MiniLM-L6-v2/model.safetensors', 'all-MiniLM-L6-v2/tokenizer.json'],
      'dropped',
    );
    expect(plan.name).toBe('all-MiniLM-L6-v2');
    expect(plan.keep.map((k) => k.to)).toEqual(['config.json', '1_Pooling/config.json', 'model.safetensors', 'tokenizer.json']);
    expect(plan.keep[1].from).toBe('all-MiniLM-L6-v2/1_Pooling/config.json');
    expect(plan.skipped).toEqual([]);
  });

  it('keeps loose files as they are', () => {
    const plan = planModelFolder(['config.json', 'model.safetensors'], 'files');
    expect(plan.name).toBe('files');
    expect(plan.keep.map((k) => k.to)).toEqual(['config.json', 'model.safetensors']);
  });

  it('skips weights and folders the loader never reads', () => {
    const plan = planModelFolder(
      ['m/config.json', 'm/model.safetensors', 'm/pytorch_model.bin', 'm/onnx/model.onnx', 'm/onnx/config.json', 'm/.git/HEAD', 'm/tf_model.h5', 'm/vocab.txt', 'm/README.md'],
      'x',
    );
    expect(plan.keep.map((k) => k.to)).toEqual(['config.json', 'model.safetensors', 'vocab.txt']);
    expect(plan.skipped).toEqual(['pytorch_model.bin', 'onnx/model.onnx', 'onnx/config.json', '.git/HEAD', 'tf_model.h5', 'README.md']);
  });

  it('keeps the best ONNX file of a folder without model.safetensors (the loader reads its initializers)', () => {
    const plan = planModelFolder(['m/config.json', 'm/tokenizer.json', 'm/onnx/model_quantized.onnx', 'm/onnx/model.onnx', 'm/onnx/model_fp16.onnx'], 'x');
    expect(plan.keep.map((k) => k.to)).toEqual(['config.json', 'tokenizer.json', 'onnx/model.onnx']);
    expect(plan.keep.at(-1)?.from).toBe('m/onnx/model.onnx');
    expect(plan.skipped).toEqual(['onnx/model_quantized.onnx', 'onnx/model_fp16.onnx']);
  });

  it('re-roots into the one sub-folder holding the model', () => {
    const plan = planModelFolder(['models/bge/config.json', 'models/bge/model.safetensors', 'models/notes.txt'], 'x');
    expect(plan.name).toBe('bge');
    expect(plan.keep.map((k) => k.to)).toEqual(['config.json', 'model.safetensors']);
    expect(plan.keep[0].from).toBe('models/bge/config.json');
  });

  it('handles backslashes and leading ./', () => {
    expect(commonTopFolder(['a/b', 'a/c/d'])).toBe('a');
    expect(commonTopFolder(['a/b', 'b/c'])).toBeNull();
    expect(commonTopFolder(['a'])).toBeNull();
    const plan = planModelFolder(['m\\config.json', 'm\\1_Pooling\\config.json'], 'x');
    expect(plan.keep.map((k) => k.to)).toEqual(['config.json', '1_Pooling/config.json']);
  });

  it('classifies files', () => {
    expect(isModelFile('0_Transformer/model.safetensors')).toBe(true);
    expect(isModelFile('sentencepiece.bpe.model')).toBe(true);
    expect(isModelFile('onnx/model_quantized.onnx')).toBe(false);
  });
});

describe('readModelFolder', () => {
  it('reads bytes under their stripped paths', async () => {
    const blob = (s: string) => new Blob([s]);
    const { source, skipped } = await readModelFolder(
      [{ path: 'mini/config.json', file: blob('{}') }, { path: 'mini/1_Pooling/config.json', file: blob('{"a":1}') }, { path: 'mini/pytorch_model.bin', file: blob('x') }],
      'fallback',
    );
    expect(source.kind).toBe('files');
    if (source.kind !== 'files') return;
    expect(source.name).toBe('mini');
    expect(Object.keys(source.files).sort()).toEqual(['1_Pooling/config.json', 'config.json']);
    expect(new TextDecoder().decode(source.files['1_Pooling/config.json'])).toBe('{"a":1}');
    expect(skipped).toEqual(['pytorch_model.bin']);
  });
  it('fails plainly when nothing usable was given', async () => {
    await expect(readModelFolder([{ path: 'x/photo.jpg', file: new Blob(['']) }], 'x')).rejects.toThrow(/no model files/);
  });
});

describe('retrievalFromModel', () => {
  const base: ModelInfo = {
    name: 'm', architecture: 'BertModel', parameters: 1, dimension: 384, layers: 6, heads: 12, maxPositions: 512, maxSeqLength: 256,
    pooling: 'cls', includePrompt: false, normalize: true, prompts: {}, randomWeights: false, warnings: [],
  };
  it('copies pooling, normalize and includePrompt', () => {
    expect(retrievalFromModel(base)).toEqual({ pooling: 'cls', normalize: true, includePrompt: false, queryTemplate: '{text}', corpusTemplate: '{text}' });
  });
  it('turns prompts into templates', () => {
    const s = retrievalFromModel({ ...base, prompts: { query: 'query: ', passage: 'passage: ' } });
    expect(s.queryTemplate).toBe('query: {text}');
    expect(s.corpusTemplate).toBe('passage: {text}');
  });
});

describe('checkRepoId', () => {
  it('accepts org/name and rejects junk', () => {
    expect(checkRepoId('BAAI/bge-small-en-v1.5')).toBeNull();
    expect(checkRepoId('bert-base-uncased')).toBeNull();
    expect(checkRepoId('')).toMatch(/enter/);
    expect(checkRepoId('https://huggingface.co/x/y')).toMatch(/not a Hub model id/);
  });
});
