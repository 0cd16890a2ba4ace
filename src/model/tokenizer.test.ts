import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FIXTURES_DIR, haveFixtures } from '../../test/support/fixtures.ts';
import { TextTokenizer, TokenizerConfigError } from './tokenizer.ts';

const TINY = path.join(FIXTURES_DIR, 'tiny-bert');
// Skips with a message, or fails under EMBEDDING_STUDIO_REQUIRE_FIXTURES=1.
const HAVE_FIXTURES = haveFixtures('tiny-bert/model/tokenizer.json', 'the tokenizer tests on the tiny-bert fixture');

interface Reference {
  sentences: string[];
  input_ids: number[][];
  attention_mask: number[][];
}

function readJson(p: string): Record<string, unknown> {
  return JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
}

function rows(data: Int32Array, seqLength: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < data.length; i += seqLength) out.push(Array.from(data.subarray(i, i + seqLength)));
  return out;
}

describe.skipIf(!HAVE_FIXTURES)('TextTokenizer on the tiny-bert fixture', () => {
  if (!HAVE_FIXTURES) {
    console.warn(`[tokenizer.test] skipping: ${TINY} not found (../shared/fixtures absent)`);
    return;
  }
  const tokJson = readJson(path.join(TINY, 'model/tokenizer.json'));
  const tokConfig = readJson(path.join(TINY, 'model/tokenizer_config.json'));
  const ref = readJson(path.join(TINY, 'reference.json')) as unknown as Reference;
  const tok = new TextTokenizer(tokJson, tokConfig);

  it('exposes vocabulary size and special token ids', () => {
    expect(tok.vocabSize).toBe(400);
    expect(tok.padTokenId).toBe(0);
    expect(tok.clsTokenId).toBe(2);
    expect(tok.sepTokenId).toBe(3);
    expect(tok.numSpecialTokens).toBe(2);
    expect(tok.modelMaxLength).toBe(64);
  });

  it('matches sentence-transformers input_ids and attention_mask (English and Chinese, padded to longest)', () => {
    const enc = tok.encodeBatch(ref.sentences, { maxLength: 64 });
    expect(enc.batchSize).toBe(ref.sentences.length);
    expect(enc.seqLength).toBe(ref.input_ids[0].length);
    expect(enc.inputIds.length).toBe(enc.batchSize * enc.seqLength);
    expect(rows(enc.inputIds, enc.seqLength)).toEqual(ref.input_ids);
    expect(rows(enc.attentionMask, enc.seqLength)).toEqual(ref.attention_mask);
    expect(enc.tokenTypeIds.every((t) => t === 0)).toBe(true);
  });

  it('truncates content and keeps the final [SEP], as HF does', () => {
    const longest = ref.sentences.length - 1;
    const refIds = ref.input_ids[longest];
    expect(refIds.length).toBeGreaterThan(10);
    const enc = tok.encodeBatch([ref.sentences[longest], ref.sentences[4]], { maxLength: 8 });
    expect(enc.seqLength).toBe(8);
    const [a, b] = rows(enc.inputIds, 8);
    expect(a).toEqual([...refIds.slice(0, 7), 3]);
    // The short Chinese sentence (6 tokens) is padded, not truncated.
    expect(b).toEqual([...ref.input_ids[4].slice(0, 6), 0, 0]);
    expect(rows(enc.attentionMask, 8)).toEqual([
      [1, 1, 1, 1, 1, 1, 1, 1],
      [1, 1, 1, 1, 1, 1, 0, 0],
    ]);
    // The padded width is the longest row after truncation, not maxLength.
    const short = tok.encodeBatch([ref.sentences[4]], { maxLength: 64 });
    expect(short.seqLength).toBe(6);
    // The minimum meaningful maxLength keeps only the specials.
    expect(Array.from(tok.encodeBatch(['hello'], { maxLength: 2 }).inputIds)).toEqual([2, 3]);
  });

  it('rejects a maxLength that cannot hold the special tokens', () => {
    expect(() => tok.encodeBatch(['x'], { maxLength: 1 })).toThrow(/maxLength must be an integer ≥ 2/);
    expect(() => tok.encodeBatch(['x'], { maxLength: 3.5 })).toThrow(RangeError);
  });

  it('encodes the empty string as [CLS] [SEP]', () => {
    const enc = tok.encodeBatch([''], { maxLength: 16 });
    expect(enc.seqLength).toBe(2);
    expect(Array.from(enc.inputIds)).toEqual([2, 3]);
    expect(Array.from(enc.attentionMask)).toEqual([1, 1]);
    expect(tok.countTokens('')).toBe(2);
    expect(tok.countTokens('', { addSpecialTokens: false })).toBe(0);
    // Mixed with a longer text it is padded.
    const mixed = tok.encodeBatch(['', ref.sentences[0]], { maxLength: 64 });
    expect(rows(mixed.inputIds, mixed.seqLength)[0]).toEqual([2, 3, ...new Array(mixed.seqLength - 2).fill(0)]);
  });

  it('batch of one has no padding', () => {
    const enc = tok.encodeBatch([ref.sentences[2]], { maxLength: 64 });
    const want = ref.input_ids[2].filter((_, j) => ref.attention_mask[2][j] === 1);
    expect(enc.batchSize).toBe(1);
    expect(Array.from(enc.inputIds)).toEqual(want);
    expect(enc.attentionMask.every((m) => m === 1)).toBe(true);
    expect(tok.encode(ref.sentences[2])).toEqual(want);
    expect(tok.countTokens(ref.sentences[2])).toBe(want.length);
  });

  it('empty batch gives empty arrays', () => {
    const enc = tok.encodeBatch([], { maxLength: 8 });
    expect(enc).toMatchObject({ batchSize: 0, seqLength: 0 });
    expect(enc.inputIds.length).toBe(0);
  });

  it('prompt length is [CLS] + prompt tokens, and those are the leading tokens of prompt + text', () => {
    const prompt = 'query: ';
    const n = tok.promptLength(prompt);
    expect(n).toBe(tok.countTokens(prompt) - 1);
    const promptIds = tok.encode(prompt);
    const full = tok.encode(prompt + ref.sentences[0]);
    expect(full.slice(0, n)).toEqual(promptIds.slice(0, n));
    expect(promptIds[n]).toBe(tok.sepTokenId);
    // sentence-transformers tokenises the prompt with truncation to max_seq_length.
    expect(tok.promptLength(ref.sentences[ref.sentences.length - 1], 10)).toBe(9);
    expect(tok.promptLength('')).toBe(1);
  });

  it('doLowerCase lowercases before a cased tokenizer sees the text', () => {
    const casedJson = structuredClone(tokJson);
    (casedJson.normalizer as Record<string, unknown>).lowercase = false;
    const cased = new TextTokenizer(casedJson, tokConfig);
    const lowering = new TextTokenizer(casedJson, tokConfig, { doLowerCase: true });
    expect(cased.encode('HOW DO I')).not.toEqual(tok.encode('how do i'));
    expect(lowering.encode('HOW DO I')).toEqual(tok.encode('how do i'));
  });

  it('reads BertProcessing post-processors as well as TemplateProcessing', () => {
    const bertJson = structuredClone(tokJson);
    bertJson.post_processor = { type: 'BertProcessing', sep: ['[SEP]', 3], cls: ['[CLS]', 2] };
    const t = new TextTokenizer(bertJson, tokConfig);
    const enc = t.encodeBatch(ref.sentences, { maxLength: 64 });
    expect(rows(enc.inputIds, enc.seqLength)).toEqual(ref.input_ids);
  });

  it('accepts special tokens written as AddedToken objects in tokenizer_config.json', () => {
    const cfg = { ...tokConfig, pad_token: { __type: 'AddedToken', content: '[PAD]' } };
    expect(new TextTokenizer(tokJson, cfg).padTokenId).toBe(0);
  });

  it('errors name the file and what is wrong', () => {
    expect(() => new TextTokenizer(tokJson, { ...tokConfig, pad_token: '<pad>' })).toThrow(
      /tokenizer_config\.json: "pad_token" is "<pad>", which is not in the vocabulary/,
    );
    const weird = structuredClone(tokJson);
    weird.post_processor = { type: 'Mystery' };
    expect(() => new TextTokenizer(weird, tokConfig)).toThrow(/^tokenizer\.json: .*Mystery/);
    expect(() => new TextTokenizer([], tokConfig)).toThrow(TokenizerConfigError);
    expect(() => new TextTokenizer({}, tokConfig)).toThrow(/tokenizer\.json: missing "model"/);
  });

  it('decodes ids back to text', () => {
    expect(tok.decode(tok.encode('how do i return an item?'), { skipSpecialTokens: true })).toBe('how do i return an item?');
    expect(tok.decode([])).toBe('');
  });
});
