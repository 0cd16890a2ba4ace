/**
 * Splits a document into overlapping passages for the RAG check. Sizes are in characters (what a
 * person can check by eye, and what works for Chinese, which has no spaces to count words by).
 * A chunk ends at the best boundary in its last half: a blank line, then a line break, then the
 * end of a sentence (Latin or CJK punctuation), then a clause mark or a space; a run with none of
 * these (a very long line of Chinese, a URL) is cut at the size, never inside a surrogate pair.
 */
import { type ChunkSettings, chunkSettingsProblem, DEFAULT_CHUNK_SETTINGS } from '../shared/settings.ts';

export interface Chunk {
  readonly text: string;
  /** Offsets into the (line-ending normalised) document text. */
  readonly start: number;
  readonly end: number;
}

/** Boundary patterns, best first; each match's end is where a chunk may stop. */
const BOUNDARIES: readonly RegExp[] = [
  /\n[ \t]*\n\s*/g,
  /\n/g,
  /[.!?;]["')\]]*\s+|[。！？；…]+["”’」』）]*/g,
  /[,:，、：]\s*|\s+/g,
];

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** Where a chunk that starts at `from` and may not pass `limit` should end. */
function breakPoint(text: string, from: number, limit: number): number {
  const earliest = from + Math.floor((limit - from) / 2);
  const window = text.slice(earliest, limit);
  for (const pattern of BOUNDARIES) {
    let best = -1;
    pattern.lastIndex = 0;
    for (let m = pattern.exec(window); m; m = pattern.exec(window)) best = m.index + m[0].length;
    if (best > 0) return earliest + best;
  }
  // No boundary: a hard cut, moved off the middle of a surrogate pair.
  return isLowSurrogate(text.charCodeAt(limit)) ? limit - 1 : limit;
}

/**
 * Where the repeated overlap should begin: not in the middle of a word ("dered before noon."),
 * so at the first space or line break in [from, end) when there is one; text without spaces
 * (Chinese) keeps the exact overlap.
 */
function overlapStart(text: string, from: number, end: number): number {
  if (from === 0 || /\s/.test(text[from - 1])) return from;
  const gap = text.slice(from, end).search(/\s/);
  return gap < 0 ? from : from + gap + 1;
}

export function chunkText(document: string, settings: ChunkSettings = DEFAULT_CHUNK_SETTINGS): Chunk[] {
  const problem = chunkSettingsProblem(settings);
  if (problem) throw new RangeError(problem);
  const text = document.replace(/\r\n?/g, '\n');
  const chunks: Chunk[] = [];
  let from = 0;
  while (from < text.length) {
    const limit = Math.min(text.length, from + settings.size);
    const end = limit === text.length ? limit : breakPoint(text, from, limit);
    const raw = text.slice(from, end);
    const lead = raw.length - raw.trimStart().length;
    const body = raw.trim();
    if (body) chunks.push({ text: body, start: from + lead, end: from + lead + body.length });
    if (end >= text.length) break;
    // Step back by the overlap, but always forward overall, and not into a surrogate pair.
    let next = Math.max(from + 1, end - settings.overlap);
    if (isLowSurrogate(text.charCodeAt(next))) next++;
    from = overlapStart(text, next, end);
  }
  return chunks;
}
