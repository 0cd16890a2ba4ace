/**
 * Trains a BERT-style WordPiece vocabulary from plain text and writes it as a Hugging Face
 * `tokenizer.json`, for the built-in offline model (scripts/make-builtin-model.ts), which cannot
 * download a vocabulary.
 *
 * The text is split exactly as the tokenizer will split it at run time (BertNormalizer with
 * lowercase + Chinese-character handling, then BertPreTokenizer), so every character the corpus
 * contains is in the vocabulary. Training is what Hugging Face's WordPieceTrainer does: byte-pair
 * merges over words whose non-initial pieces carry the `##` prefix, most frequent pair first.
 * Ties break on the token strings, so the same text always gives the same vocabulary.
 */

export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
const PREFIX = '##';
const MAX_INPUT_CHARS_PER_WORD = 100;

export interface WordPieceTrainerOptions {
  /** Largest vocabulary, special tokens included; fewer when the text runs out of merges. */
  vocabSize: number;
  /** Pairs seen fewer times than this are not merged (Hugging Face's min_frequency). */
  minFrequency?: number;
}

// Hugging Face's _is_chinese_char: the CJK Unified Ideographs blocks, not all of CJK.
const CJK = /[\u4E00-\u9FFF\u3400-\u4DBF\uF900-\uFAFF\u{20000}-\u{2A6DF}\u{2A700}-\u{2B73F}\u{2B740}-\u{2B81F}\u{2B820}-\u{2CEAF}\u{2F800}-\u{2FA1F}]/gu;
// clean_text drops NUL, U+FFFD and control/format characters, but keeps tab and newlines as spaces.
const DROPPED = /[\0\uFFFD]|(?![\t\n\r])[\p{Cc}\p{Cf}]/gu;
const SPACE = /[\t\n\r\p{Zs}]/u;
// Rust's is_ascii_punctuation or a Unicode P* category, as BertPreTokenizer checks.
const PUNCT = /[!-/:-@[-`{-~]|\p{P}/u;

/** BertNormalizer(clean_text, handle_chinese_chars, strip_accents = lowercase, lowercase). */
export function bertNormalize(text: string): string {
  return text
    .replace(DROPPED, '')
    .replace(CJK, ' $& ')
    .normalize('NFD')
    .replace(/\p{Mn}/gu, '')
    .toLowerCase();
}

/** Words as BertPreTokenizer yields them: split on whitespace, each punctuation mark alone. */
export function bertPreTokenize(text: string): string[] {
  const words: string[] = [];
  let word = '';
  for (const ch of bertNormalize(text)) {
    if (SPACE.test(ch) || PUNCT.test(ch)) {
      if (word) words.push(word);
      word = '';
      if (!SPACE.test(ch)) words.push(ch);
    } else word += ch;
  }
  if (word) words.push(word);
  return words;
}

/**
 * Letters, digits and ASCII punctuation are always in the vocabulary (with `##` forms for letters
 * and digits), so English text outside the corpus still tokenises without [UNK].
 */
function baseAlphabet(): string[] {
  const out: string[] = [];
  for (let c = 0x21; c < 0x7f; c++) {
    const ch = String.fromCharCode(c);
    if (/[A-Z]/.test(ch)) continue;
    out.push(ch);
    if (/[a-z0-9]/.test(ch)) out.push(PREFIX + ch);
  }
  return out;
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The vocabulary in id order: special tokens, the alphabet (sorted), then merges. */
export function trainWordPiece(texts: Iterable<string>, opts: WordPieceTrainerOptions): string[] {
  const minFrequency = opts.minFrequency ?? 2;
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const w of bertPreTokenize(text)) counts.set(w, (counts.get(w) ?? 0) + 1);
  }

  const tokens: string[] = [];
  const ids = new Map<string, number>();
  const intern = (t: string): number => {
    let id = ids.get(t);
    if (id === undefined) ids.set(t, (id = tokens.push(t) - 1));
    return id;
  };
  // Words in sorted order so that ids (and therefore everything after) do not depend on corpus order.
  const words: { symbols: number[]; count: number }[] = [];
  const alphabet = new Set(baseAlphabet());
  const sortedWords = [...counts.keys()].filter((w) => [...w].length <= MAX_INPUT_CHARS_PER_WORD).sort(byString);
  for (const w of sortedWords) [...w].forEach((ch, i) => alphabet.add(i === 0 ? ch : PREFIX + ch));
  const vocab: string[] = [...SPECIAL_TOKENS, ...[...alphabet].sort(byString)];
  for (const t of vocab) intern(t);
  for (const w of sortedWords) {
    words.push({ symbols: [...w].map((ch, i) => ids.get(i === 0 ? ch : PREFIX + ch)!), count: counts.get(w)! });
  }

  // Pair counts, kept up to date incrementally; `where` may list words that no longer hold a pair.
  const key = (a: number, b: number) => a * 2 ** 24 + b;
  const pairCounts = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  const addPairs = (wi: number, sign: 1 | -1) => {
    const { symbols, count } = words[wi];
    for (let i = 0; i + 1 < symbols.length; i++) {
      const k = key(symbols[i], symbols[i + 1]);
      pairCounts.set(k, (pairCounts.get(k) ?? 0) + sign * count);
      if (sign > 0) {
        let set = where.get(k);
        if (!set) where.set(k, (set = new Set()));
        set.add(wi);
      }
    }
  };
  words.forEach((_, wi) => addPairs(wi, 1));

  const inVocab = new Set(vocab);
  while (vocab.length < opts.vocabSize) {
    let best = -1, bestCount = 0, bestToken = '';
    for (const [k, c] of pairCounts) {
      if (c < minFrequency || c < bestCount) continue;
      const merged = tokens[Math.floor(k / 2 ** 24)] + tokens[k % 2 ** 24].slice(PREFIX.length);
      if (c > bestCount || byString(merged, bestToken) < 0) [best, bestCount, bestToken] = [k, c, merged];
    }
    if (best < 0) break;
    const a = Math.floor(best / 2 ** 24), b = best % 2 ** 24;
    const merged = intern(bestToken);
    for (const wi of where.get(best) ?? []) {
      const s = words[wi].symbols;
      addPairs(wi, -1);
      const next: number[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
          next.push(merged);
          i++;
        } else next.push(s[i]);
      }
      words[wi].symbols = next;
      addPairs(wi, 1);
    }
    pairCounts.delete(best);
    // Two different pairs can spell the same token ("##ab"+"##c", "##a"+"##bc"); list it once.
    if (!inVocab.has(bestToken)) {
      inVocab.add(bestToken);
      vocab.push(bestToken);
    }
  }
  return vocab;
}

const special = (content: string, id: number) => ({
  id,
  content,
  single_word: false,
  lstrip: false,
  rstrip: false,
  normalized: false,
  special: true,
});

/** tokenizer.json as the `tokenizers` library saves a BertTokenizerFast (same keys, same order). */
export function wordPieceTokenizerJson(vocab: readonly string[]): Record<string, unknown> {
  SPECIAL_TOKENS.forEach((t, i) => {
    if (vocab[i] !== t) throw new Error(`vocabulary id ${i} must be ${t}, got ${vocab[i]}`);
  });
  const id = (t: string) => vocab.indexOf(t);
  const tok = (t: string, typeId: number) => ({ SpecialToken: { id: t, type_id: typeId } });
  const seq = (s: 'A' | 'B', typeId: number) => ({ Sequence: { id: s, type_id: typeId } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((t, i) => special(t, i)),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [tok('[CLS]', 0), seq('A', 0), tok('[SEP]', 0)],
      pair: [tok('[CLS]', 0), seq('A', 0), tok('[SEP]', 0), seq('B', 1), tok('[SEP]', 1)],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [id('[CLS]')], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [id('[SEP]')], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: PREFIX, cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: PREFIX,
      max_input_chars_per_word: MAX_INPUT_CHARS_PER_WORD,
      vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
    },
  };
}

/** tokenizer_config.json to go with it (what transformers writes for a BertTokenizer). */
export function wordPieceTokenizerConfig(modelMaxLength: number): Record<string, unknown> {
  return {
    clean_up_tokenization_spaces: true,
    cls_token: '[CLS]',
    do_lower_case: true,
    mask_token: '[MASK]',
    model_max_length: modelMaxLength,
    pad_token: '[PAD]',
    sep_token: '[SEP]',
    strip_accents: null,
    tokenize_chinese_chars: true,
    tokenizer_class: 'BertTokenizer',
    unk_token: '[UNK]',
  };
}
