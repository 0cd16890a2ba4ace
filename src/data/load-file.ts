/**
 * One entry point for a training file of any supported format, chosen by its extension:
 * JSON Lines (.jsonl, .ndjson, .json), CSV (.csv), TSV (.tsv, .tab) and Parquet (.parquet).
 * Every format ends in the same shape detection and validation (load.ts `finish`) and the same
 * `ValidationReport`; text formats are also checked for bytes that are not UTF-8.
 */

import { parseCsv, delimiterForFile } from './csv.ts';
import { JsonlParser, type DataIssue, type JsonlParseResult } from './jsonl.ts';
import { finish, type LoadOptions, type LoadedTrainingData } from './load.ts';
import { asyncBufferOf, parseParquet, type SliceableBlob } from './parquet.ts';
import { badUtf8Message, decodeUtf8Lines, type BadUtf8Line } from './utf8.ts';

export type TrainingFileFormat = 'jsonl' | 'csv' | 'tsv' | 'parquet';

export interface LoadFileOptions extends LoadOptions {
  /** CSV/TSV only: the field separator, overriding the extension and the guess. */
  delimiter?: string;
}

export class UnsupportedFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedFileError';
  }
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

async function bytesOf(data: Uint8Array | SliceableBlob): Promise<Uint8Array> {
  return data instanceof Uint8Array ? data : new Uint8Array(await data.arrayBuffer());
}

/**
 * Parses, detects the shape (unless `opts.mapping` is given), validates and converts a training
 * file. `name` picks the format and is the `file` of every issue unless `opts.file` is set.
 * Text formats are read whole; Parquet is read one row group at a time from a Blob/File.
 */
export async function loadTrainingFile(
  name: string,
  data: Uint8Array | SliceableBlob,
  opts: LoadFileOptions = {},
): Promise<LoadedTrainingData> {
  const format = trainingFileFormat(name);
  const file = opts.file ?? name;
  if (format === 'parquet') return finish(await parseParquet(asyncBufferOf(data), { file }), opts.mapping);

  // Line numbers of bad bytes must be the parser's: CSV counts a lone "\r" as a line end, JSONL does not.
  const { text, bad } = decodeUtf8Lines(await bytesOf(data), format === 'jsonl' ? 'lf' : 'any');
  let parsed: JsonlParseResult;
  if (format === 'jsonl') {
    if (/^\uFEFF?\s*\[/.test(text)) {
      throw new UnsupportedFileError(`${name}: holds a JSON array; training files are JSON Lines, one object per line`);
    }
    const parser = new JsonlParser({ ...opts, file });
    parser.push(text);
    parsed = parser.end();
  } else {
    const delimiter = opts.delimiter ?? (format === 'tsv' ? '\t' : delimiterForFile(name));
    parsed = parseCsv(text, delimiter === undefined ? { file } : { file, delimiter });
  }
  return finish(refuseBadLines(parsed, bad), opts.mapping);
}
