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

/** Special tokens the post-processor wraps a single sequence with, and their token type ids. */
interface SingleTemplate {
  prefix: number[];
  prefixTypes: number[];
  suffix: number[];
  suffixTypes: number[];
  contentType: number;
}

type JsonObject = Record<string, unknown>;

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class TokenizerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenizerConfigError';
  }
}

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

function fail(message: string): never {
  throw new TokenizerConfigError(message);
}

const PROBE_TEXTS = ['Hello world 123', 'unbelievably xqzzyvw-Qwerty ÀÉÎ ñ 下雨了 😀 ' + 'x'.repeat(120), ''];

/** Above any real vocabulary (BERT 30k, multilingual 250k); ids past it are refused outright. */
const MAX_TOKEN_ID = 10_000_000;
/** Ids may leave gaps, but not more than this many past the number of tokens the file declares. */
const MAX_ID_GAP = 65_536;

/**
 * Checks every token id in `model.vocab` and `added_tokens` (integers, in a bound derived from
 * how many tokens there are, one token per id) and the WordPiece fields the library's encoder
 * uses unchecked. Returns the JSON to hand the library: the same object, or a copy with
 * WordPiece's `continuing_subword_prefix` default ("##") filled in.
 */
function checkModel(json: JsonObject): JsonObject {
  const model = json.model as JsonObject;
  const vocab = isObject(model.vocab) ? model.vocab : undefined;
  const addedRaw = json.added_tokens;
  if (addedRaw !== undefined && addedRaw !== null && !Array.isArray(addedRaw)) fail('tokenizer.json: "added_tokens" must be an array');
  const added: unknown[] = Array.isArray(addedRaw) ? addedRaw : [];
  const vocabEntries = vocab ? Object.entries(vocab) : [];
  const bound = Math.min(MAX_TOKEN_ID, vocabEntries.length + added.length + MAX_ID_GAP);
  const checkId = (where: string, token: string, id: unknown): number => {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= bound) {
      fail(
        `tokenizer.json: ${where} token ${JSON.stringify(token)} has id ${JSON.stringify(id) ?? String(id)}; ` +
          `token ids must be integers in [0, ${bound}) (the file declares ${vocabEntries.length + added.length} tokens)`,
      );
    }
    return id as number;
  };

  // One token per id: two tokens sharing an id would share an embedding row.
  const byId = new Map<number, string>();
  const vocabIds = new Map<string, number>();
  for (const [token, raw] of vocabEntries) {
    const id = checkId('model.vocab', token, raw);
    const other = byId.get(id);
    if (other !== undefined) fail(`tokenizer.json: model.vocab tokens ${JSON.stringify(other)} and ${JSON.stringify(token)} both have id ${id}`);
    byId.set(id, token);
    vocabIds.set(token, id);
  }
  const addedIds = new Map<number, string>();
  added.forEach((t, i) => {
    if (!isObject(t) || typeof t.content !== 'string') fail(`tokenizer.json: added_tokens[${i}] must be an object with a string "content"`);
    const token = (t as JsonObject).content as string;
    const id = checkId(`added_tokens[${i}]`, token, (t as JsonObject).id);
    const inVocab = vocabIds.get(token);
    if (inVocab !== undefined && inVocab !== id) {
      fail(`tokenizer.json: added token ${JSON.stringify(token)} has id ${id} but model.vocab gives it id ${inVocab}`);
    }
    const owner = addedIds.get(id) ?? (inVocab === undefined ? byId.get(id) : undefined);
    if (owner !== undefined && owner !== token) fail(`tokenizer.json: added token ${JSON.stringify(token)} has id ${id}, which is already ${JSON.stringify(owner)}'s`);
    addedIds.set(id, token);
  });

  if (model.type !== 'WordPiece') return json;
  if (!vocab) fail('tokenizer.json: WordPiece model.vocab must be an object of token → id');
  const unk = model.unk_token;
  if (typeof unk !== 'string' || !vocabIds.has(unk)) {
    fail(
      `tokenizer.json: WordPiece model.unk_token is ${JSON.stringify(unk) ?? 'missing'}; it must name a token of model.vocab ` +
        '(words outside the vocabulary are encoded as that token)',
    );
  }
  const maxChars = model.max_input_chars_per_word;
  if (maxChars !== undefined && maxChars !== null && !(typeof maxChars === 'number' && Number.isInteger(maxChars) && maxChars > 0)) {
    fail(`tokenizer.json: WordPiece model.max_input_chars_per_word must be a positive integer, got ${JSON.stringify(maxChars)}`);
  }
  const prefix = model.continuing_subword_prefix;
  if (typeof prefix === 'string') return json;
  if (prefix !== undefined && prefix !== null) {
    fail(`tokenizer.json: WordPiece model.continuing_subword_prefix must be a string, got ${JSON.stringify(prefix)}`);
  }
  // The Rust library's default; the JS library would otherwise prefix sub-words with "undefined".
  return { ...json, model: { ...model, continuing_subword_prefix: '##' } };
}

function checkTypeId(v: unknown, where: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= 1024) {
    fail(`tokenizer.json: post_processor ${where} type_id must be a small non-negative integer, got ${JSON.stringify(v)}`);
  }
  return v as number;
}

const EMPTY_TEMPLATE: SingleTemplate = { prefix: [], prefixTypes: [], suffix: [], suffixTypes: [], contentType: 0 };

function readSingleTemplate(pp: unknown, tokenToId: (t: string) => number | undefined): SingleTemplate {
  if (pp === null || pp === undefined) return EMPTY_TEMPLATE;
  if (!isObject(pp)) fail('tokenizer.json: "post_processor" must be an object or null');
  const obj = pp as JsonObject;
  switch (obj.type) {
    case 'TemplateProcessing':
      return readTemplateProcessing(obj, tokenToId);
    case 'BertProcessing':
    case 'RobertaProcessing': {
      const cls = readIdPair(obj.cls, `${obj.type}.cls`);
      const sep = readIdPair(obj.sep, `${obj.type}.sep`);
      return { prefix: [cls], prefixTypes: [0], suffix: [sep], suffixTypes: [0], contentType: 0 };
    }
    case 'ByteLevel':
      return EMPTY_TEMPLATE;
    case 'Sequence': {
      const procs = Array.isArray(obj.processors) ? obj.processors : fail('tokenizer.json: Sequence post_processor has no "processors"');
      const parts = procs.map((p) => readSingleTemplate(p, tokenToId));
      const adding = parts.filter((t) => t.prefix.length + t.suffix.length > 0);
      if (adding.length > 1) fail('tokenizer.json: more than one post-processor in the Sequence adds special tokens');
      return adding[0] ?? EMPTY_TEMPLATE;
    }
    default:
      return fail(`tokenizer.json: unsupported post_processor type ${JSON.stringify(obj.type)}`);
  }
}

function readIdPair(v: unknown, where: string): number {
  if (Array.isArray(v) && v.length === 2 && typeof v[1] === 'number') return v[1];
  return fail(`tokenizer.json: post_processor ${where} must be [token, id]`);
}

function readTemplateProcessing(obj: JsonObject, tokenToId: (t: string) => number | undefined): SingleTemplate {
  const single = Array.isArray(obj.single) ? obj.single : fail('tokenizer.json: TemplateProcessing has no "single"');
  const specials = isObject(obj.special_tokens) ? obj.special_tokens : {};
  const t: SingleTemplate = { prefix: [], prefixTypes: [], suffix: [], suffixTypes: [], contentType: 0 };
  let seenSequence = false;
  for (const item of single) {
    if (isObject(item) && isObject(item.Sequence)) {
      seenSequence = true;
      t.contentType = checkTypeId(item.Sequence.type_id, 'Sequence');
    } else if (isObject(item) && isObject(item.SpecialToken)) {
      const name = item.SpecialToken.id;
      const typeId = checkTypeId(item.SpecialToken.type_id, 'SpecialToken');
      if (typeof name !== 'string') fail('tokenizer.json: TemplateProcessing SpecialToken without an id');
      const entry = specials[name as string];
      // A special-token entry can expand to several ids; fall back to the vocabulary if absent.
      const ids =
        isObject(entry) && Array.isArray(entry.ids) && entry.ids.every((x) => typeof x === 'number')
          ? (entry.ids as number[])
          : [tokenToId(name as string) ?? fail(`tokenizer.json: template special token "${name}" is not in the vocabulary`)];
      const [dst, types] = seenSequence ? [t.suffix, t.suffixTypes] : [t.prefix, t.prefixTypes];
      for (const id of ids) {
        dst.push(id);
        types.push(typeId);
      }
    } else {
      fail(`tokenizer.json: unrecognised TemplateProcessing item ${JSON.stringify(item)}`);
    }
  }
  if (!seenSequence) fail('tokenizer.json: TemplateProcessing "single" has no Sequence');
  return t;
}
