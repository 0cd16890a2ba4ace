/**
 * The built-in model's tooling. public/models/builtin/ is now the pre-trained model
 * (scripts/pretrain-builtin.ts, `--pretrain`); `--random` still generates the original:
 * a small BERT (hidden 128, 2 layers, 2 heads, FFN 512, 128 positions) with random weights and
 * a WordPiece vocabulary trained on the text in public/corpus/, as a sentence-transformers folder
 * (mean pooling + normalize) that our loader, sentence-transformers and transformers.js read.
 *
 * Everything is a pure function of the corpus and the constants below, so running it twice gives
 * byte-identical files; a test regenerates the folder and compares it with the committed one.
 *
 *   npm run make:builtin-model -- --random [--out <dir>]
 *   npm run make:builtin-model -- --pretrain init|train|export   (the pre-trained model: scripts/pretrain-builtin.ts)
 */

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ParamLayout } from '../src/engine/params.ts';
import { writeSafetensors } from '../src/io/safetensors.ts';
import { writeFolderAtomically } from '../src/io/write-folder.ts';
import { bertParamGroups } from '../src/model/bert.ts';
import { randomBertWeights } from '../src/model/init.ts';
import { bertDims } from '../src/io/load-model.ts';
import { parseBertConfig } from '../src/model/bert-config.ts';
import { poolingConfigToJson } from '../src/model/pooling-config.ts';
import { unpackWeights } from '../src/model/weights.ts';
import { SPECIAL_TOKENS, trainWordPiece, wordPieceTokenizerConfig, wordPieceTokenizerJson } from '../src/model/wordpiece-trainer.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CORPUS_DIR = path.join(ROOT, 'public/corpus');
export const BUILTIN_MODEL_DIR = path.join(ROOT, 'public/models/builtin');
/** Where `--random` writes the old random-weights model (the pre-trained one's starting shape differs). */
export const RANDOM_MODEL_DIR = path.join(ROOT, '.cache/builtin-random');

const SEED = 20240611;
/**
 * Upper bound on the vocabulary. The float32 weights must stay under MAX_WEIGHT_BYTES: the encoder
 * layers take ~1.6 MB, leaving room for ~2500 embedding rows of 128 floats. Training stops earlier
 * when no pair of pieces occurs twice any more (with the shipped corpus: ~2400 tokens).
 */
const VOCAB_TARGET = 2500;
const MAX_SEQ_LENGTH = 128;
/** Kept small enough to ship in the repository and load instantly in a browser. */
const MAX_WEIGHT_BYTES = 3_000_000;

const json = (value: unknown) => new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);

/** The corpus files in name order, so the vocabulary does not depend on directory listing order. */
export function readCorpus(dir = CORPUS_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.txt'))
    .sort()
    .map((f) => readFileSync(path.join(dir, f), 'utf8'));
}

/** The encoder's shape; the random model is the default, the pre-trained one passes its own. */
export interface BertShape {
  readonly hiddenSize: number;
  readonly layers: number;
  readonly heads: number;
  readonly intermediateSize: number;
  readonly maxPositions: number;
}

export const RANDOM_SHAPE: BertShape = { hiddenSize: 128, layers: 2, heads: 2, intermediateSize: 512, maxPositions: MAX_SEQ_LENGTH };

export function bertConfigJson(vocabSize: number, shape: BertShape = RANDOM_SHAPE) {
  return {
    architectures: ['BertModel'],
    attention_probs_dropout_prob: 0.1,
    classifier_dropout: null,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    hidden_size: shape.hiddenSize,
    initializer_range: 0.02,
    intermediate_size: shape.intermediateSize,
    layer_norm_eps: 1e-12,
    max_position_embeddings: shape.maxPositions,
    model_type: 'bert',
    num_attention_heads: shape.heads,
    num_hidden_layers: shape.layers,
    pad_token_id: 0,
    position_embedding_type: 'absolute',
    torch_dtype: 'float32',
    type_vocab_size: 2,
    use_cache: true,
    vocab_size: vocabSize,
  };
}

/** The YAML front matter both built-in model cards open with (what the Hub and sentence-transformers read). */
export function builtinCardFrontMatter(extra: readonly string[] = []): string {
  return ['---', 'library_name: sentence-transformers', 'pipeline_tag: sentence-similarity', 'tags:', '- sentence-transformers', '- feature-extraction', '- embedding-studio', 'language:', '- en', '- zh', ...extra, '---'].join('\n');
}

function modelCard(vocabSize: number, params: number, corpusBytes: number): string {
  return `${builtinCardFrontMatter()}

# Embedding Studio built-in model (untrained)

A starting point that works offline. **Its weights are random**: out of the box its embeddings
carry no meaning, and similarities between them are close to noise. Fine-tuning on your own
pairs or triplets is what gives it meaning.

- Architecture: BERT encoder, hidden size 128, 2 layers, 2 attention heads, feed-forward 512,
  128 positions (${String(params).replace(/\B(?=(\d{3})+$)/g, ',')} parameters), mean pooling, L2 normalisation.
- Weights: BERT's initialisation (normal, std 0.02; biases 0; LayerNorm weights 1) from a fixed
  seed (${SEED}).
- Tokenizer: its own lowercase WordPiece vocabulary of ${vocabSize} tokens, trained on the
  ${Math.round(corpusBytes / 1024)} KB of English and Chinese text in \`public/corpus/\` (written for
  this project). Each Chinese character is its own token; characters the corpus lacks become [UNK].
- Maximum sequence length: ${MAX_SEQ_LENGTH} tokens.

Regenerate it byte for byte with \`npm run make:builtin-model\`.
`;
}

/** Every file of the folder, path → bytes. */
export function builtinModelFiles(corpus: readonly string[] = readCorpus()): Map<string, Uint8Array> {
  const vocab = trainWordPiece(corpus, { vocabSize: VOCAB_TARGET });
  const config = bertConfigJson(vocab.length);
  const dims = bertDims(parseBertConfig(config));
  const layout = new ParamLayout(bertParamGroups(dims));
  const weights = writeSafetensors(unpackWeights(layout, randomBertWeights(layout, SEED)), { format: 'pt' });
  if (weights.length >= MAX_WEIGHT_BYTES) {
    throw new Error(`model.safetensors would be ${weights.length} bytes (limit ${MAX_WEIGHT_BYTES}); shrink the vocabulary`);
  }
  const params = layout.entries.reduce((n, e) => n + e.size, 0);
  const corpusBytes = corpus.reduce((n, t) => n + new TextEncoder().encode(t).length, 0);
  const files = sentenceFolderFiles(vocab, config, dims.hiddenSize, MAX_SEQ_LENGTH);
  files.set('model.safetensors', weights);
  files.set('README.md', new TextEncoder().encode(modelCard(vocab.length, params, corpusBytes)));
  return files;
}

/**
 * Everything of a sentence-transformers folder but the weights and the card: config, tokenizer
 * (WordPiece, BERT's basic tokenizer), mean pooling and normalisation.
 */
export function sentenceFolderFiles(vocab: readonly string[], config: Record<string, unknown>, hiddenSize: number, maxSeqLength: number): Map<string, Uint8Array> {
  const [pad, unk, cls, sep, mask] = SPECIAL_TOKENS;
  const files = new Map<string, Uint8Array>();
  files.set('config.json', json(config));
  files.set('tokenizer.json', json(wordPieceTokenizerJson(vocab)));
  files.set('tokenizer_config.json', json(wordPieceTokenizerConfig(maxSeqLength)));
  files.set('special_tokens_map.json', json({ cls_token: cls, mask_token: mask, pad_token: pad, sep_token: sep, unk_token: unk }));
  // For slow (Python) BertTokenizer and other tools that read a plain vocabulary file.
  files.set('vocab.txt', new TextEncoder().encode(`${vocab.join('\n')}\n`));
  files.set(
    'modules.json',
    json([
      { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
      { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
      { idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' },
    ]),
  );
  files.set('1_Pooling/config.json', json(poolingConfigToJson({ mode: 'mean', includePrompt: true }, hiddenSize)));
  // What sentence-transformers 5 writes for Normalize; it also keeps the folder in git.
  files.set('2_Normalize/config.json', json({ module_input_name: 'sentence_embedding', module_output_name: 'sentence_embedding' }));
  files.set('sentence_bert_config.json', json({ max_seq_length: maxSeqLength, do_lower_case: false }));
  files.set(
    'config_sentence_transformers.json',
    json({
      __version__: { sentence_transformers: '5.1.0', embedding_studio: '0.1.0' },
      prompts: {},
      default_prompt_name: null,
      similarity_fn_name: 'cosine',
    }),
  );
  return files;
}

async function main(): Promise<void> {
  const p = process.argv.indexOf('--pretrain');
  if (p > 0) {
    // The pre-trained model's pipeline lives beside this script; see scripts/pretrain-builtin.ts.
    const { pretrainMain } = await import('./pretrain-builtin.ts');
    return pretrainMain(process.argv.slice(p + 1));
  }
  if (!process.argv.includes('--random')) {
    // public/models/builtin is the pre-trained model now; a random init must not overwrite it by accident.
    throw new Error('usage: make:builtin-model -- --pretrain init|train|export  |  --random [--out DIR] (default .cache/builtin-random)');
  }
  const i = process.argv.indexOf('--out');
  const out = i > 0 && process.argv[i + 1] ? path.resolve(process.argv[i + 1]) : RANDOM_MODEL_DIR;
  const files = builtinModelFiles();
  await writeFolderAtomically(out, files);
  const total = [...files.values()].reduce((n, b) => n + b.length, 0);
  console.log(`wrote ${files.size} files (${(total / 1e6).toFixed(2)} MB) to ${path.relative(process.cwd(), out) || '.'}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
