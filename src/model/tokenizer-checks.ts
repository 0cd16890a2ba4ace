// Checks of tokenizer.json before the library sees it: every token id of the vocabulary and the
// added tokens, and the WordPiece fields the library's encoder uses unchecked. The errors name
// the file and the field, as every other model-file error does.

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class TokenizerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenizerConfigError';
  }
}

export function fail(message: string): never {
  throw new TokenizerConfigError(message);
}

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
export function checkModel(json: JsonObject): JsonObject {
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
