// Batch tokenisation for BERT-family encoders on top of @huggingface/tokenizers.
//
// The library encodes one text at a time and knows nothing of truncation or padding (it ignores
// the `truncation` / `padding` sections of tokenizer.json), so those live here, following what
// Hugging Face `tokenizer(texts, padding=True, truncation=True, max_length=n)` does for a single
// sequence: encode the content, cut it to n − (number of special tokens), add the special tokens,
// then pad every row to the longest row of the batch.
//
// Built from parsed JSON objects rather than paths because the browser worker has no file system.

import { Tokenizer } from '@huggingface/tokenizers';
import { type JsonObject, TokenizerConfigError, checkModel, fail, isObject } from './tokenizer-checks.ts';
import { type SingleTemplate, readSingleTemplate } from './tokenizer-template.ts';

export { TokenizerConfigError };

export interface EncodedBatch {
  batchSize: number;
  seqLength: number;
  /** Row-major [batchSize, seqLength]. */
  inputIds: Int32Array;
  /** 1 for real tokens (specials included), 0 for padding. */
  attentionMask: Int32Array;
  tokenTypeIds: Int32Array;
}

export interface EncodeBatchOptions {
  /** Longest row allowed, special tokens included (HF `max_length`). */
  maxLength: number;
}

export interface TextTokenizerOptions {
  /**
   * sentence-transformers' `do_lower_case` (sentence_bert_config.json): lowercase texts before
   * tokenising. Separate from the tokenizer's own normaliser, which may or may not lowercase.
   */
  doLowerCase?: boolean;
}

const PROBE_TEXTS = ['Hello world 123', 'unbelievably xqzzyvw-Qwerty ÀÉÎ ñ 下雨了 😀 ' + 'x'.repeat(120), ''];

export class TextTokenizer {
  readonly vocabSize: number;
  readonly padTokenId: number;
  readonly clsTokenId: number;
  readonly sepTokenId: number;
  /** tokenizer_config.json `model_max_length`, or null when absent or the "unset" sentinel. */
  readonly modelMaxLength: number | null;
  /** Number of special tokens added around one sequence ([CLS] and [SEP] for BERT: 2). */
  readonly numSpecialTokens: number;

  private readonly inner: Tokenizer;
  private readonly template: SingleTemplate;
  private readonly doLowerCase: boolean;
  private readonly truncateLeft: boolean;

  constructor(tokenizerJson: unknown, tokenizerConfig: unknown = {}, options: TextTokenizerOptions = {}) {
    if (!isObject(tokenizerJson)) throw new TokenizerConfigError('tokenizer.json: expected a JSON object');
    if (!isObject(tokenizerConfig)) throw new TokenizerConfigError('tokenizer_config.json: expected a JSON object');
    if (!isObject(tokenizerJson.model)) throw new TokenizerConfigError('tokenizer.json: missing "model"');

    // The library trusts every id it is given (an id of 2^31 makes it grow an array to that
    // length), so the ids and the fields its encoder relies on are checked before it sees them.
    const libraryJson = checkModel(tokenizerJson);
    try {
      this.inner = new Tokenizer(libraryJson, tokenizerConfig);
    } catch (e) {
      throw new TokenizerConfigError(`tokenizer.json: cannot build tokenizer: ${(e as Error).message}`);
    }
    this.doLowerCase = options.doLowerCase ?? false;
    this.truncateLeft = tokenizerConfig.truncation_side === 'left';
    this.template = readSingleTemplate(tokenizerJson.post_processor, (tok) => this.inner.token_to_id(tok));
    this.numSpecialTokens = this.template.prefix.length + this.template.suffix.length;

    let maxId = -1;
    for (const id of this.inner.get_vocab(true).values()) if (id > maxId) maxId = id;
    // Ids index embedding rows, so the bound that matters is the largest id, not the map size
    // (vocabularies with gaps exist).
    this.vocabSize = maxId + 1;

    const padFromJson = isObject(tokenizerJson.padding) ? tokenizerJson.padding.pad_id : undefined;
    if (padFromJson !== undefined && padFromJson !== null && !this.isTokenId(padFromJson)) {
      fail(`tokenizer.json: padding.pad_id ${JSON.stringify(padFromJson)} is not a token id (an integer in [0, ${this.vocabSize}))`);
    }
    this.padTokenId =
      this.configTokenId(tokenizerConfig, 'pad_token') ??
      (typeof padFromJson === 'number' ? padFromJson : undefined) ??
      this.inner.token_to_id('[PAD]') ??
      fail('tokenizer_config.json: no "pad_token" and no [PAD] token in the vocabulary');
    this.clsTokenId =
      this.configTokenId(tokenizerConfig, 'cls_token') ??
      this.template.prefix[0] ??
      fail('tokenizer_config.json: no "cls_token" and the post-processor adds no leading special token');
    this.sepTokenId =
      this.configTokenId(tokenizerConfig, 'sep_token') ??
      this.template.suffix[this.template.suffix.length - 1] ??
      fail('tokenizer_config.json: no "sep_token" and the post-processor adds no trailing special token');

    const mml = tokenizerConfig.model_max_length;
    // transformers writes int(1e30) when a model sets no limit.
    this.modelMaxLength = typeof mml === 'number' && mml > 0 && mml < 1e9 ? mml : null;

    this.checkTemplate();
  }

  /** Encodes, truncates to `maxLength` (specials included) and pads to the longest row. */
  encodeBatch(texts: readonly string[], opts: EncodeBatchOptions): EncodedBatch {
    const { maxLength } = opts;
    if (!Number.isInteger(maxLength) || maxLength < this.numSpecialTokens) {
      throw new RangeError(
        `maxLength must be an integer ≥ ${this.numSpecialTokens} (the special tokens), got ${maxLength}`,
      );
    }
    const budget = maxLength - this.numSpecialTokens;
    const rows = texts.map((t) => {
      const content = this.contentIds(t);
      if (content.length <= budget) return content;
      return this.truncateLeft ? content.slice(content.length - budget) : content.slice(0, budget);
    });

    const { prefix, suffix, prefixTypes, suffixTypes, contentType } = this.template;
    const batchSize = rows.length;
    let seqLength = 0;
    for (const r of rows) seqLength = Math.max(seqLength, r.length + this.numSpecialTokens);

    const inputIds = new Int32Array(batchSize * seqLength).fill(this.padTokenId);
    const attentionMask = new Int32Array(batchSize * seqLength);
    // Padding positions get token type 0, as HF's pad_token_type_id default does.
    const tokenTypeIds = new Int32Array(batchSize * seqLength);
    rows.forEach((content, b) => {
      let p = b * seqLength;
      const put = (id: number, type: number) => {
        inputIds[p] = id;
        attentionMask[p] = 1;
        tokenTypeIds[p] = type;
        p++;
      };
      prefix.forEach((id, i) => put(id, prefixTypes[i]));
      for (const id of content) put(id, contentType);
      suffix.forEach((id, i) => put(id, suffixTypes[i]));
    });
    return { batchSize, seqLength, inputIds, attentionMask, tokenTypeIds };
  }

  /** Token ids of one text with special tokens, untruncated. */
  encode(text: string): number[] {
    return [...this.template.prefix, ...this.contentIds(text), ...this.template.suffix];
  }

  /** Number of tokens `text` occupies, special tokens included unless asked otherwise. */
  countTokens(text: string, opts: { addSpecialTokens?: boolean } = {}): number {
    const n = this.contentIds(text).length;
    return opts.addSpecialTokens === false ? n : n + this.numSpecialTokens;
  }

  /**
   * How many leading positions a prompt occupies once prepended to a text: sentence-transformers
   * tokenises the prompt alone (with truncation to max_seq_length) and drops the final [SEP],
   * i.e. [CLS] + prompt tokens. Pooling with `include_prompt: false` masks these positions.
   */
  promptLength(prompt: string, maxLength?: number): number {
    let n = this.countTokens(prompt);
    if (maxLength !== undefined) n = Math.min(n, maxLength);
    return n - 1;
  }

  decode(ids: readonly number[], opts: { skipSpecialTokens?: boolean } = {}): string {
    if (ids.length === 0) return '';
    return this.inner.decode([...ids], { skip_special_tokens: opts.skipSpecialTokens ?? false });
  }

  tokenToId(token: string): number | undefined {
    return this.inner.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.inner.id_to_token(id);
  }

  private contentIds(text: string): number[] {
    const t = this.doLowerCase ? text.toLowerCase() : text;
    const { ids, tokens } = this.inner.encode(t, { add_special_tokens: false });
    // A word the vocabulary cannot spell maps to the unknown token; without one the library
    // yields `undefined`, which an Int32Array would silently store as token 0.
    ids.forEach((id, i) => {
      if (!this.isTokenId(id)) {
        fail(
          `tokenizer.json: the token ${JSON.stringify(tokens[i])} of ${JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text)} ` +
            `has no id (got ${JSON.stringify(id) ?? 'undefined'}); the model has no usable "unk_token" for words outside its vocabulary`,
        );
      }
    });
    return ids;
  }

  private isTokenId(id: unknown): id is number {
    return typeof id === 'number' && Number.isInteger(id) && id >= 0 && id < this.vocabSize;
  }

  private configTokenId(config: JsonObject, key: string): number | undefined {
    const v = config[key];
    // Older configs store special tokens as serialised AddedToken objects.
    const content = typeof v === 'string' ? v : isObject(v) && typeof v.content === 'string' ? v.content : undefined;
    if (content === undefined) return undefined;
    const id = this.inner.token_to_id(content);
    if (id === undefined) {
      throw new TokenizerConfigError(`tokenizer_config.json: "${key}" is "${content}", which is not in the vocabulary`);
    }
    return id;
  }

  // We add special tokens ourselves (to truncate content before adding them), so make sure our
  // reading of the post-processor agrees with the library's own on a probe text.
  private checkTemplate(): void {
    const probe = 'Hello world 123';
    let ours: number[], theirs: number[];
    try {
      ours = this.encode(probe);
      theirs = this.inner.encode(this.doLowerCase ? probe.toLowerCase() : probe).ids;
      // Words outside any small vocabulary, accents, CJK and an emoji: the paths (sub-words,
      // unknown words, normalisation) a damaged configuration would make fail on real text.
      for (const text of PROBE_TEXTS) this.contentIds(text);
    } catch (e) {
      if (e instanceof TokenizerConfigError) throw e;
      throw new TokenizerConfigError(`tokenizer.json: the tokenizer fails on a probe text: ${(e as Error).message}`);
    }
    if (ours.length !== theirs.length || ours.some((id, i) => id !== theirs[i])) {
      throw new TokenizerConfigError(
        `tokenizer.json: post_processor adds special tokens we do not understand ` +
          `(library gives [${theirs.join(', ')}], template reading gives [${ours.join(', ')}])`,
      );
    }
  }
}
