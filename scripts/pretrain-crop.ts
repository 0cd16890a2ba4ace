/**
 * Cropped queries (after Contriever's cropping and the inverse cloze task): a share of the English
 * (anchor, positive, negative) rows get, in place of their anchor, a 4–12 word span of one sentence
 * of their own positive. Measured on the stage-5 model: it scores 0.96 MRR@10 on training pairs and
 * 0.67 on held-out packages, so it has learnt the pairs more than the matching. A query cut from the
 * document makes it match the words a short text shares with its document, rare ones included;
 * and a span the row's negative also contains is never taken, so the span is what tells the
 * positive from its sibling (a sibling package's description shares its opening paragraph).
 */

import { seededRandom } from '../src/data/split.ts';
import { isCrossLingual, type Triplet } from './pretrain-mine.ts';

const MIN_WORDS = 4;
const MAX_WORDS = 12;
/** A positive shorter than this gives no span that is not most of it. */
const MIN_POSITIVE_WORDS = 8;
const TRIES = 5;

const words = (text: string): string[] => text.split(/\s+/).filter(Boolean);

/** One span of a sentence of `positive` that `negative` does not contain, or null. */
function cropOne(positive: string, negative: string, random: () => number): string | null {
  const sentences = positive.split(/(?<=[.!?])\s+|\n/).map(words).filter((w) => w.length >= MIN_WORDS);
  // Counted as whitespace-separated fields (a leading newline counts one): what stage 6 was cut with.
  if (sentences.length === 0 || positive.split(/\s+/).length < MIN_POSITIVE_WORDS) return null;
  const neg = negative.toLowerCase();
  for (let t = 0; t < TRIES; t++) {
    const sentence = sentences[Math.floor(random() * sentences.length)];
    const len = Math.min(sentence.length, MIN_WORDS + Math.floor(random() * (MAX_WORDS - MIN_WORDS + 1)));
    const start = Math.floor(random() * (sentence.length - len + 1));
    // Leading punctuation and a trailing full stop or comma are the crop's edges, not its words.
    const span = sentence.slice(start, start + len).join(' ').replace(/^[^\p{L}\p{N}]+|[.,;:]+$/gu, '');
    // Fields split at single spaces: a span that lost a last "." after a space keeps that space and counts it.
    if (span.split(' ').length >= MIN_WORDS && !neg.includes(span.toLowerCase())) return span;
  }
  return null;
}

/**
 * `share` of the rows (drawn with `seed`) whose texts are not Chinese get a cropped anchor; the
 * others, and those with no span to take, stay as they are. Row count and order do not change.
 */
export function cropQueries(rows: readonly Triplet[], share: number, seed: number): { rows: Triplet[]; cropped: number } {
  const random = seededRandom(seed);
  let cropped = 0;
  const out = rows.map((r) => {
    if (isCrossLingual(r) || random() >= share) return r;
    const span = cropOne(r.positive, r.negative, random);
    if (span === null) return r;
    cropped++;
    return { ...r, anchor: span };
  });
  return { rows: out, cropped };
}
