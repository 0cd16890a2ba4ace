/**
 * One entry point for a training file of any supported format, chosen by its extension:
 * JSON Lines (.jsonl, .ndjson, .json), CSV (.csv), TSV (.tsv, .tab) and Parquet (.parquet).
 * Every format ends in the same shape detection and validation (load.ts `finish`) and the same
 * `ValidationReport`; text formats are also checked for bytes that are not UTF-8.
 *
 * JSONL is streamed — from a ReadableStream / async iterable, a Blob's stream(), or a byte array
 * fed in slices — with byte progress, and never becomes one string (see line-splitter.ts).
 * CSV/TSV (quoted fields may span lines) and Parquet are read whole.
 */

import { parseCsv, delimiterForFile } from './csv.ts';
import { JsonlParser, type DataIssue, type JsonlParseResult } from './jsonl.ts';
import { finish, type LoadOptions, type LoadedTrainingData } from './load.ts';
import { asyncBufferOf, parseParquet, type SliceableBlob } from './parquet.ts';
import { FileSniffer } from './sniff.ts';
import { badUtf8Message, decodeUtf8Lines, type BadUtf8Line } from './utf8.ts';

export type TrainingFileFormat = 'jsonl' | 'csv' | 'tsv' | 'parquet';

export interface LoadFileOptions extends LoadOptions {
  /** CSV/TSV only: the field separator, overriding the extension and the guess. */
  delimiter?: string;
  /**
   * Bytes read so far and the file's size (null when unknown): first (0, size), then as the file
   * is read, never decreasing, last with everything read.
   */
  onProgress?: (loaded: number, total: number | null) => void;
}

/** A file read as a stream: `file.stream()` in the browser, `fs.createReadStream(path)` in Node. */
export interface ByteStreamSource {
  readonly stream: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;
  /** Total bytes when known (for progress). */
  readonly size: number | null;
}

/** Blobs (and File, and Node's fs.openAsBlob) that can also be streamed. */
type StreamableBlob = SliceableBlob & { stream(): ReadableStream<Uint8Array> };

export type TrainingFileData = Uint8Array | SliceableBlob | ByteStreamSource;

/** Slice size when a byte array is fed to the JSONL parser (progress granularity). */
const BYTES_SLICE = 1 << 20;

export class UnsupportedFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedFileError';
  }
}

function notTextError(name: string, why: string): UnsupportedFileError {
  return new UnsupportedFileError(`${name}: not a text file (looks binary: ${why}); training files are JSON Lines, CSV/TSV text or Parquet`);
}

function emptyFileError(name: string): UnsupportedFileError {
  return new UnsupportedFileError(`${name}: empty file — it has no rows to train on`);
}

const EXTENSIONS: Readonly<Record<string, TrainingFileFormat>> = {
  jsonl: 'jsonl',
  ndjson: 'jsonl',
  json: 'jsonl',
  csv: 'csv',
  tsv: 'tsv',
  tab: 'tsv',
  parquet: 'parquet',
};

/** The format a file name implies, or an error naming the formats we read. */
export function trainingFileFormat(name: string): TrainingFileFormat {
  const ext = /\.([^./\\]+)$/.exec(name)?.[1]?.toLowerCase();
  const format = ext === undefined ? undefined : EXTENSIONS[ext];
  if (format === undefined) {
    throw new UnsupportedFileError(
      `${name}: ${ext === undefined ? 'no file extension' : `".${ext}" files are not supported`}; ` +
        'use JSON Lines (.jsonl), CSV (.csv), TSV (.tsv) or Parquet (.parquet)',
    );
  }
  return format;
}

/**
 * Rows that touch a line with bad bytes are refused with one `bad-utf8` issue per such line;
 * what the parser said about those lines (garbled text may also be bad JSON) is dropped as noise.
 */
function refuseBadLines(parsed: JsonlParseResult, bad: readonly BadUtf8Line[]): JsonlParseResult {
  if (bad.length === 0) return parsed;
  const badLines = new Set(bad.map((b) => b.line));
  const touches = (from: number, to: number) => bad.some((b) => b.line >= from && b.line <= to);
  const rows = parsed.rows.filter((r) => {
    const end = 'endLine' in r && typeof r.endLine === 'number' ? r.endLine : r.line;
    return !touches(r.line, end);
  });
  const utf8Issues: DataIssue[] = bad.map((b) => ({ code: 'bad-utf8', file: parsed.file, line: b.line, message: badUtf8Message(b) }));
  const issues = [...parsed.issues.filter((i) => !badLines.has(i.line)), ...utf8Issues];
  return { ...parsed, rows, issues };
}

function isStreamSource(data: TrainingFileData): data is ByteStreamSource {
  return !(data instanceof Uint8Array) && 'stream' in data && typeof data.stream === 'object';
}

function isStreamableBlob(data: SliceableBlob): data is StreamableBlob {
  return typeof (data as Partial<StreamableBlob>).stream === 'function';
}

/** A byte array as views (no copy) of at most BYTES_SLICE, so progress can be told within it. */
function* slices(data: Uint8Array): Generator<Uint8Array> {
  if (data.length <= BYTES_SLICE) yield data;
  else for (let i = 0; i < data.length; i += BYTES_SLICE) yield data.subarray(i, i + BYTES_SLICE);
}

/** The chunks of any source (some hand out a whole file as one chunk), at most BYTES_SLICE each. */
async function* chunksOf(data: TrainingFileData): AsyncGenerator<Uint8Array> {
  for await (const chunk of rawChunksOf(data)) yield* slices(chunk);
}

async function* rawChunksOf(data: TrainingFileData): AsyncGenerator<Uint8Array> {
  if (data instanceof Uint8Array) {
    yield data;
    return;
  }
  let stream: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;
  if (isStreamSource(data)) stream = data.stream;
  else if (isStreamableBlob(data)) stream = data.stream();
  else {
    yield new Uint8Array(await data.arrayBuffer());
    return;
  }
  if (!('getReader' in stream)) {
    yield* stream;
    return;
  }
  // getReader rather than for-await: not every browser's ReadableStream is async-iterable yet.
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

function sizeOf(data: TrainingFileData): number | null {
  return data instanceof Uint8Array ? data.length : data.size;
}

/** Progress at most every 1% (and 1 MiB), so a page is not flooded with messages; always the last. */
function progressReporter(total: number | null, report: LoadFileOptions['onProgress']) {
  let last = 0;
  const step = Math.max(1 << 20, (total ?? 0) / 100);
  report?.(0, total);
  return {
    add(loaded: number): void {
      if (report && loaded - last >= step) report((last = loaded), total);
    },
    done(loaded: number): void {
      if (report && loaded !== last) report((last = loaded), total);
    },
  };
}

async function bytesOf(data: TrainingFileData, progress: ReturnType<typeof progressReporter>): Promise<Uint8Array> {
  if (data instanceof Uint8Array) {
    progress.done(data.length);
    return data;
  }
  if (!isStreamSource(data)) {
    const bytes = new Uint8Array(await data.arrayBuffer());
    progress.done(bytes.length);
    return bytes;
  }
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const c of chunksOf(data)) {
    parts.push(c);
    n += c.length;
    progress.add(n);
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  progress.done(n);
  return out;
}

/**
 * Whether a file is one JSON array rather than JSON Lines: its first non-space character is
 * "[" (what /^\s*\[/ says of the whole text), decided from the first bytes that hold one.
 */
class JsonArraySniffer {
  private readonly decoder = new TextDecoder();
  private decided = false;

  /** true once the file is known to start with "[". */
  push(bytes: Uint8Array): boolean {
    if (this.decided) return false;
    const m = /\S/.exec(this.decoder.decode(bytes, { stream: true }));
    if (!m) return false;
    this.decided = true;
    return m[0] === '[';
  }
}

/** Streams JSONL through the parser: the whole text never exists, only one line of it at a time. */
async function parseJsonlSource(name: string, data: TrainingFileData, opts: LoadFileOptions, file: string): Promise<JsonlParseResult> {
  const parser = new JsonlParser({ ...opts, file });
  const sniffer = new JsonArraySniffer();
  const binary = new FileSniffer();
  const progress = progressReporter(sizeOf(data), opts.onProgress);
  const arrayError = () => new UnsupportedFileError(`${name}: holds a JSON array; training files are JSON Lines, one object per line`);
  // A binary file is refused for that alone, even one that starts with "[": so the array verdict
  // waits until the binary one is in (the first 8 KiB, or the end of a shorter file).
  let startsWithArray = false;
  let loaded = 0;
  for await (const chunk of chunksOf(data)) {
    const why = binary.push(chunk);
    if (why) throw notTextError(name, why);
    if (!startsWithArray && sniffer.push(chunk)) startsWithArray = true;
    if (startsWithArray && binary.decided) throw arrayError();
    parser.push(chunk);
    loaded += chunk.length;
    progress.add(loaded);
  }
  const why = binary.end();
  if (why) throw notTextError(name, why);
  if (startsWithArray) throw arrayError();
  const parsed = parser.end();
  progress.done(loaded);
  if (parsed.totalLines === parsed.blankLines) throw emptyFileError(name);
  return parsed;
}

/**
 * Parses, detects the shape (unless `opts.mapping` is given), validates and converts a training
 * file. `name` picks the format and is the `file` of every issue unless `opts.file` is set.
 * JSONL is streamed; CSV/TSV are read whole; Parquet one row group at a time from a Blob/File.
 */
export async function loadTrainingFile(name: string, data: TrainingFileData, opts: LoadFileOptions = {}): Promise<LoadedTrainingData> {
  const format = trainingFileFormat(name);
  const file = opts.file ?? name;
  if (format === 'jsonl') return finish(await parseJsonlSource(name, data, opts, file), opts.mapping);
  if (format === 'parquet') {
    const progress = progressReporter(sizeOf(data), opts.onProgress);
    const source = isStreamSource(data) ? await bytesOf(data, progress) : data;
    const parsed = await parseParquet(asyncBufferOf(source), { file });
    progress.done(source instanceof Uint8Array ? source.length : source.size);
    return finish(parsed, opts.mapping);
  }
  // CSV counts a lone "\r" as a line end; bad-byte line numbers must be the parser's.
  const bytes = await bytesOf(data, progressReporter(sizeOf(data), opts.onProgress));
  const sniff = new FileSniffer();
  const why = sniff.push(bytes) ?? sniff.end();
  if (why) throw notTextError(name, why);
  const { text, bad } = decodeUtf8Lines(bytes, 'any');
  if (text.trim() === '') throw emptyFileError(name);
  const delimiter = opts.delimiter ?? (format === 'tsv' ? '\t' : delimiterForFile(name));
  const parsed = parseCsv(text, delimiter === undefined ? { file } : { file, delimiter });
  return finish(refuseBadLines(parsed, bad), opts.mapping);
}
