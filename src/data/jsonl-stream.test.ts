import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { binaryReason } from './sniff.ts';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../engine/rng.ts';
import { JsonlParser, parseJsonl, type DataIssue, type JsonlParseResult } from './jsonl.ts';
import { DECODE_WINDOW } from './line-splitter.ts';
import { finish } from './load.ts';
import { loadTrainingFile, UnsupportedFileError } from './load-file.ts';
import { badUtf8Message, decodeUtf8Lines } from './utf8.ts';

/**
 * JSONL from streams: the same result as reading the whole text, whatever the chunking (cuts
 * inside multi-byte characters and inside lines), with progress, and with memory bounded by one
 * line. The oracle is the whole-text path as it was before streaming: decode the file at once
 * (bad bytes → U+FFFD, bad lines listed by decodeUtf8Lines), parse the text, then refuse the rows
 * and replace the issues of lines that held bad bytes.
 */

const enc = new TextEncoder();

function wholeTextReference(bytes: Uint8Array, file: string, maxLineBytes?: number): JsonlParseResult {
  const { text, bad } = decodeUtf8Lines(bytes, 'lf');
  const parsed = parseJsonl(text, maxLineBytes === undefined ? { file } : { file, maxLineBytes });
  const badLines = new Set(bad.map((b) => b.line));
  const utf8: DataIssue[] = bad.map((b) => ({ code: 'bad-utf8', file, line: b.line, message: badUtf8Message(b) }));
  return {
    ...parsed,
    rows: parsed.rows.filter((r) => !badLines.has(r.line)),
    issues: [...parsed.issues.filter((i) => !badLines.has(i.line)), ...utf8].sort((a, b) => a.line - b.line),
  };
}

function concat(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** `bytes` cut at the given offsets (any order, duplicates allowed). */
function cutAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => Math.min(bytes.length, Math.max(0, c))))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of [...at, bytes.length]) {
    out.push(bytes.subarray(prev, c));
    prev = c;
  }
  return out;
}

function readableOf(chunks: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]);
      else controller.close();
    },
  });
}

/** A deterministic multi-MB file with every kind of line the validator reports. */
function generatedJsonl(targetBytes: number, seed: number): { bytes: Uint8Array<ArrayBuffer>; longestLine: number } {
  const rng = new SeededRandom(seed);
  const words = ['refund', 'delivery', '退货流程', 'the parcel', 'größe', '😀 emoji', 'invoice', 'naïve café', 'Ελληνικά', 'order #'];
  const pick = () => words[Math.floor(rng.next() * words.length)];
  const sentence = () => Array.from({ length: 3 + Math.floor(rng.next() * 12) }, pick).join(' ');
  const parts: Uint8Array[] = [enc.encode('\ufeff')];
  let size = 3;
  let longestLine = 0;
  const seen: string[] = [];
  for (let i = 0; size < targetBytes; i++) {
    const r = rng.next();
    let line: Uint8Array;
    if (r < 0.9) {
      const row = JSON.stringify({ query: `${sentence()} ${i}`, positive: sentence(), ...(rng.next() < 0.3 ? { negative: sentence() } : {}) });
      if (seen.length < 50) seen.push(row);
      line = enc.encode(row);
    } else if (r < 0.92) line = enc.encode(seen[Math.floor(rng.next() * seen.length)] ?? '{}'); // duplicate row
    else if (r < 0.93) line = enc.encode('{"query": "broken", "positive": '); // bad JSON
    else if (r < 0.94) line = enc.encode('[1, 2, 3]'); // not an object
    else if (r < 0.95) line = enc.encode(rng.next() < 0.5 ? '' : '   \t'); // blank
    else if (r < 0.96) line = enc.encode(JSON.stringify({ query: 'q', positive: '' })); // empty field
    else if (r < 0.97) {
      // Windows-1252 "é" (0xE9) inside an otherwise fine row.
      const ok = enc.encode(JSON.stringify({ query: `caf_ ${i}`, positive: sentence() }));
      line = ok.slice();
      line[line.indexOf(0x5f)] = 0xe9;
    } else if (r < 0.975) line = enc.encode(JSON.stringify({ query: 'x'.repeat(3000), positive: 'too long for the limit below' }));
    else line = enc.encode(JSON.stringify({ sentence1: sentence(), sentence2: sentence(), score: rng.next() }));
    const eol = enc.encode(rng.next() < 0.2 ? '\r\n' : '\n');
    longestLine = Math.max(longestLine, line.length + eol.length - 1);
    parts.push(line, eol);
    size += line.length + eol.length;
  }
  return { bytes: concat(parts), longestLine };
}

describe('JSONL streaming equals the whole-text parse', () => {
  const MAX_LINE = 2048;
  const { bytes, longestLine } = generatedJsonl(6 * 1024 * 1024, 11);

  it('a generated 6 MB file: stream in 64 KiB chunks = bytes whole = the old whole-text path, issues included', async () => {
    const reference = finish(wholeTextReference(bytes, 'big.jsonl', MAX_LINE), undefined);
    const chunks = cutAt(bytes, Array.from({ length: Math.ceil(bytes.length / 65536) }, (_, i) => i * 65536 + 1));
    const streamed = await loadTrainingFile('big.jsonl', { stream: readableOf(chunks), size: bytes.length }, { maxLineBytes: MAX_LINE });
    const whole = await loadTrainingFile('big.jsonl', bytes, { maxLineBytes: MAX_LINE });
    expect(streamed).toEqual(reference);
    expect(whole).toEqual(reference);
    // The file really exercises every check.
    const codes = reference.report.countsByCode;
    for (const c of ['bad-json', 'not-object', 'bad-utf8', 'line-too-long', 'duplicate-row', 'empty-field'] as const) expect(codes[c], c).toBeGreaterThan(0);
    expect(reference.report.blankLines).toBeGreaterThan(0);
    expect(reference.examples.length).toBeGreaterThan(20_000);
  });

  it('never joins more than one line, and never decodes more than a window or a line at once', () => {
    const fed = new JsonlParser({ maxLineBytes: MAX_LINE });
    for (const c of cutAt(bytes, Array.from({ length: 200 }, (_, i) => Math.floor((i * bytes.length) / 200) + 7))) fed.push(c);
    fed.end();
    expect(fed.stats.bytes).toBe(bytes.length);
    expect(fed.stats.largestJoin).toBeGreaterThan(0);
    expect(fed.stats.largestJoin).toBeLessThanOrEqual(Math.min(longestLine, MAX_LINE));
    // One push of the whole 6 MB array: decoded a window at a time, never as one string.
    const whole = new JsonlParser({ maxLineBytes: MAX_LINE });
    whole.push(bytes);
    whole.end();
    expect(whole.stats.largestJoin).toBe(0);
    expect(whole.stats.largestDecode).toBeLessThanOrEqual(DECODE_WINDOW);
    expect(bytes.length).toBeGreaterThan(4 * DECODE_WINDOW);
  });

  it('progress: starts at 0, never decreases, ends at the total (known and unknown size)', async () => {
    const events: [number, number | null][] = [];
    const chunks = cutAt(bytes, Array.from({ length: 100 }, (_, i) => i * 65536));
    await loadTrainingFile('big.jsonl', { stream: readableOf(chunks), size: bytes.length }, { onProgress: (l, t) => events.push([l, t]) });
    expect(events[0]).toEqual([0, bytes.length]);
    expect(events.at(-1)).toEqual([bytes.length, bytes.length]);
    expect(events.length).toBeGreaterThan(3);
    for (let i = 1; i < events.length; i++) expect(events[i][0]).toBeGreaterThanOrEqual(events[i - 1][0]);
    // An async iterable of unknown size; and a Blob (File.stream() in the browser).
    const unknown: [number, number | null][] = [];
    async function* gen() {
      yield* chunks;
    }
    await loadTrainingFile('big.jsonl', { stream: gen(), size: null }, { onProgress: (l, t) => unknown.push([l, t]) });
    expect(unknown.at(-1)).toEqual([bytes.length, null]);
    const blob: [number, number | null][] = [];
    const fromBlob = await loadTrainingFile('big.jsonl', new Blob([bytes]), { onProgress: (l, t) => blob.push([l, t]) });
    expect(blob.at(-1)).toEqual([bytes.length, bytes.length]);
    expect(fromBlob.examples.length).toBeGreaterThan(20_000);
  });

  it('reads a Node file stream (the CLI path)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'jsonl-stream-'));
    try {
      const file = path.join(dir, 'big.jsonl');
      await writeFile(file, bytes);
      const got = await loadTrainingFile(file, { stream: createReadStream(file), size: bytes.length }, { file: 'big.jsonl', maxLineBytes: MAX_LINE });
      expect(got).toEqual(await loadTrainingFile('big.jsonl', bytes, { maxLineBytes: MAX_LINE }));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// ---- property: any chunking of any document ----------------------------------------------------

const lineArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ query: fc.string({ unit: 'binary', maxLength: 20 }), positive: fc.string({ unit: 'grapheme', maxLength: 20 }) }).map((o) => enc.encode(JSON.stringify(o))) },
  { weight: 2, arbitrary: fc.constantFrom('', ' ', '\r', '\u00a0', '{', '[1]', 'null', '"s"', '{"query": "退货", "positive": "😀"}').map((s) => enc.encode(s)) },
  // Arbitrary bytes: bad UTF-8, truncated sequences, stray continuation bytes (newlines removed).
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 24 }).map((b) => b.map((x) => (x === 0x0a ? 0x80 : x))) },
  { weight: 1, arbitrary: fc.constantFrom(Uint8Array.of(0xe9), Uint8Array.of(0xf0, 0x9f, 0x98), Uint8Array.of(0x7b, 0xed, 0xa0, 0x80, 0x7d), Uint8Array.of(0xef, 0xbb, 0xbf, 0x7b, 0x7d)) },
);

const docArb = fc.record({
  lines: fc.array(fc.record({ line: lineArb, crlf: fc.boolean() }), { maxLength: 25 }),
  finalEol: fc.boolean(),
  bom: fc.boolean(),
  maxLineBytes: fc.constantFrom(8, 40, 1 << 20),
});

function render(doc: { lines: { line: Uint8Array; crlf: boolean }[]; finalEol: boolean; bom: boolean }): Uint8Array {
  const parts: Uint8Array[] = doc.bom ? [Uint8Array.of(0xef, 0xbb, 0xbf)] : [];
  doc.lines.forEach(({ line, crlf }, i) => {
    parts.push(line);
    if (i < doc.lines.length - 1 || doc.finalEol) parts.push(enc.encode(crlf ? '\r\n' : '\n'));
  });
  return concat(parts);
}

describe('JSONL streaming (property)', () => {
  it('any document, cut anywhere (inside lines and multi-byte characters), parses as the whole text does', async () => {
    await fc.assert(
      fc.asyncProperty(docArb, fc.array(fc.nat(), { maxLength: 16 }), fc.boolean(), async (doc, rawCuts, bytewise) => {
        const bytes = render(doc);
        const cuts = bytewise ? Array.from({ length: bytes.length }, (_, i) => i) : rawCuts.map((c) => c % (bytes.length + 1));
        const chunks = cutAt(bytes, cuts);
        const reference = wholeTextReference(bytes, 'p.jsonl', doc.maxLineBytes);
        const parser = new JsonlParser({ file: 'p.jsonl', maxLineBytes: doc.maxLineBytes });
        for (const c of chunks) parser.push(c);
        expect(parser.end()).toEqual(reference);
        const viaFile = loadTrainingFile('p.jsonl', { stream: readableOf(chunks), size: bytes.length }, { maxLineBytes: doc.maxLineBytes });
        // The whole-text path's rule: a file whose text starts (after spaces) with "[" is a JSON array.
        // Streamed or whole, a file whose first bytes are not text is refused for that alone.
        if (binaryReason(bytes)) await expect(viaFile).rejects.toThrow(/not a text file \(looks binary/);
        else if (/^\s*\[/.test(new TextDecoder().decode(bytes))) await expect(viaFile).rejects.toThrow(UnsupportedFileError);
        // A file of blank lines (or none) is refused as empty.
        else if (reference.totalLines === reference.blankLines) await expect(viaFile).rejects.toThrow(/empty file/);
        else expect(await viaFile).toEqual(finish(reference, undefined));
        // Joining only ever holds the current line.
        const longest = Math.max(0, ...doc.lines.map((l) => l.line.length + (l.crlf ? 1 : 0)));
        expect(parser.stats.largestJoin).toBeLessThanOrEqual(longest);
      }),
      { numRuns: 400 },
    );
  });
});

describe('lines longer than the decode window', () => {
  it('are decoded alone (within the limit) or checked and dropped (over it), as the whole text says', () => {
    const big = (n: number, c: string) => enc.encode(JSON.stringify({ query: c.repeat(n), positive: 'p' }));
    const bad = big(DECODE_WINDOW + 10, 'b');
    bad[DECODE_WINDOW] = 0xff;
    const bytes = concat([enc.encode('{"query": "a", "positive": "b"}\n'), big(DECODE_WINDOW + 100, 'é'), enc.encode('\n'), bad, enc.encode('\n'), big(3 * DECODE_WINDOW, 'x'), enc.encode('\n{}')]);
    const opts = { file: 'long.jsonl', maxLineBytes: 2 * DECODE_WINDOW + 500 };
    const reference = wholeTextReference(bytes, 'long.jsonl', opts.maxLineBytes);
    expect(reference.issues.map((i) => [i.line, i.code])).toEqual([[3, 'bad-utf8'], [4, 'line-too-long']]);
    for (const cuts of [[], [5, DECODE_WINDOW, DECODE_WINDOW * 2 + 3, DECODE_WINDOW * 4]]) {
      const p = new JsonlParser(opts);
      for (const c of cutAt(bytes, cuts)) p.push(c);
      expect(p.end()).toEqual(reference);
    }
  });
});

describe('JSON arrays in a stream', () => {
  it('are refused from the first bytes (once the binary check has its 8 KiB), without reading the rest', async () => {
    let pulled = 0;
    async function* source() {
      // A byte-order mark and blank lines, split across chunks, before the "[", then enough for the
      // binary check (a binary file is refused as binary even if it starts with "[").
      for (const c of [Uint8Array.of(0xef), Uint8Array.of(0xbb, 0xbf, 0x0a), enc.encode('  \r\n'), enc.encode('[{"query": "q"}'), enc.encode(`,${'{"q": 1},'.repeat(1000)}`)]) {
        pulled++;
        yield c;
      }
      throw new Error('read past the binary check\'s window');
    }
    await expect(loadTrainingFile('rows.json', { stream: source(), size: null })).rejects.toThrow(UnsupportedFileError);
    expect(pulled).toBe(5);
    await expect(loadTrainingFile('rows.json', { stream: readableOf([enc.encode('\n\n'), enc.encode(' [1]')]), size: 6 })).rejects.toThrow(/holds a JSON array/);
  });
});
