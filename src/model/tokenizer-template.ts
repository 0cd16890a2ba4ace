// The special tokens a tokenizer.json post-processor wraps a single sequence with (BERT's
// [CLS] … [SEP]), read from TemplateProcessing, Bert/RobertaProcessing or a Sequence of them.

import { type JsonObject, fail, isObject } from './tokenizer-checks.ts';

/** Special tokens the post-processor wraps a single sequence with, and their token type ids. */
export interface SingleTemplate {
  prefix: number[];
  prefixTypes: number[];
  suffix: number[];
  suffixTypes: number[];
  contentType: number;
}

function checkTypeId(v: unknown, where: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= 1024) {
    fail(`tokenizer.json: post_processor ${where} type_id must be a small non-negative integer, got ${JSON.stringify(v)}`);
  }
  return v as number;
}

const EMPTY_TEMPLATE: SingleTemplate = { prefix: [], prefixTypes: [], suffix: [], suffixTypes: [], contentType: 0 };

export function readSingleTemplate(pp: unknown, tokenToId: (t: string) => number | undefined): SingleTemplate {
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
