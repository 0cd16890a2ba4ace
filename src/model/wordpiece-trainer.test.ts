import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { BUILTIN_MODEL_DIR, builtinModelFiles, readCorpus } from '../../scripts/make-builtin-model.ts';
import { CpuBackend } from '../engine/cpu/cpu-backend.ts';
import { folderFiles } from '../io/folder-files.ts';
import { writeFolderAtomically } from '../io/write-folder.ts';
import { loadSentenceModel } from '../io/load-model.ts';
import { TextTokenizer } from './tokenizer.ts';
import { SPECIAL_TOKENS, bertPreTokenize, trainWordPiece, wordPieceTokenizerConfig, wordPieceTokenizerJson } from './wordpiece-trainer.ts';

const SAMPLES = [
  'How do I reset my password?',
  'Where is my order? The tracking page says it was delivered.',
  'Fine-tuning a small model on customer questions improves search.',
  '我忘记密码了，怎么办？',
  '我的订单到哪里了？快递显示已经签收。',
  '微调模型可以让搜索结果更准确。',
];

describe('bertPreTokenize', () => {
  it('splits like BertNormalizer + BertPreTokenizer: lowercase, no accents, punctuation and CJK characters alone', () => {
    expect(bertPreTokenize('Hello, World!  Café\u00a0NAÏVE\tdon\'t 你好吗？ e-mail')).toEqual([
      'hello', ',', 'world', '!', 'cafe', 'naive', 'don', "'", 't', '你', '好', '吗', '？', 'e', '-', 'mail',
    ]);
    expect(bertPreTokenize('a\u0000b\u200bc')).toEqual(['abc']);
  });
});

describe('trainWordPiece', () => {
  const corpus = ['the cat sat on the mat', 'the cats sat', 'a mat for the cat', '猫坐在垫子上'];

  it('starts with the special tokens, then the alphabet, then merges, each token once', () => {
    const vocab = trainWordPiece(corpus, { vocabSize: 200 });
    expect(vocab.slice(0, 5)).toEqual([...SPECIAL_TOKENS]);
    expect(new Set(vocab).size).toBe(vocab.length);
    expect(vocab).toEqual(expect.arrayContaining(['the', 'cat', 'mat', '##s', '猫', 'q', '##q', '?']));
    // Stops when no pair occurs twice, before the requested size.
    expect(vocab.length).toBeLessThan(200);
  });

  it('respects the size and is independent of text order', () => {
    // 115 tokens are specials + alphabet; merges run out at 125 on this text.
    const a = trainWordPiece(corpus, { vocabSize: 123, minFrequency: 1 });
    expect(a).toHaveLength(123);
    expect(trainWordPiece([...corpus].reverse(), { vocabSize: 123, minFrequency: 1 })).toEqual(a);
  });

  it('gives a tokenizer.json that @huggingface/tokenizers and transformers.js both read the same way', async () => {
    const vocab = trainWordPiece(readCorpus(), { vocabSize: 2500 });
    const tokJson = wordPieceTokenizerJson(vocab);
    const config = wordPieceTokenizerConfig(128);
    const ours = new TextTokenizer(tokJson, config);
    expect(ours.padTokenId).toBe(0);
    expect(ours.tokenToId('[UNK]')).toBe(1);
    expect([ours.clsTokenId, ours.sepTokenId]).toEqual([2, 3]);

    const dir = await mkdtemp(path.join(tmpdir(), 'wordpiece-'));
    try {
      await writeFolderAtomically(path.join(dir, 'tok'), new Map([
        ['tokenizer.json', new TextEncoder().encode(JSON.stringify(tokJson))],
        ['tokenizer_config.json', new TextEncoder().encode(JSON.stringify(config))],
      ]));
      env.allowRemoteModels = false;
      env.allowLocalModels = true;
      env.useFSCache = false;
      env.localModelPath = `${dir}${path.sep}`;
      const theirs = await AutoTokenizer.from_pretrained('tok');
      for (const text of SAMPLES) {
        const ids = theirs.encode(text);
        expect(ids, text).toEqual(ours.encode(text));
        expect(ids.filter((id) => id === 1), text).toEqual([]);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the random-weights model (make:builtin-model --random)', () => {
  it('is a pure function of the corpus: generated twice, byte for byte the same, and small', () => {
    const [a, b] = [builtinModelFiles(), builtinModelFiles()];
    expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
    for (const [rel, bytes] of a) expect(Buffer.from(bytes).equals(Buffer.from(b.get(rel)!)), rel).toBe(true);
    expect(a.get('model.safetensors')!.length).toBeLessThan(3_000_000);
    expect(new TextDecoder().decode(a.get('README.md'))).toMatch(/Its weights are random/);
  });
});

describe('the built-in model (public/models/builtin)', () => {
  it('loads with our loader and encodes English and Chinese, nearly every token known', async () => {
    const { model, tokenizer, config } = await loadSentenceModel(folderFiles(BUILTIN_MODEL_DIR), new CpuBackend());
    expect(config.bert).toMatchObject({ hiddenSize: 128, numHiddenLayers: 4, numAttentionHeads: 2, intermediateSize: 512, maxPositionEmbeddings: 128 });
    expect(config.pooling.mode).toBe('mean');
    expect(config.normalize).toBe(true);
    for (const text of SAMPLES) {
      const content = tokenizer.encode(text).slice(1, -1);
      const unknown = content.filter((id) => id === 1).length;
      expect(unknown / content.length, text).toBeLessThan(0.05);
    }
    const vectors = await model.encode(SAMPLES);
    expect(vectors).toHaveLength(SAMPLES.length * 128);
    for (let i = 0; i < SAMPLES.length; i++) {
      const v = vectors.subarray(i * 128, (i + 1) * 128);
      expect(v.every(Number.isFinite)).toBe(true);
      expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    }
  });
});
