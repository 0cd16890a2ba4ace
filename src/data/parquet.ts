/**
 * Parquet (the Hugging Face Hub's dataset format) into the same rows and `DataIssue`s as the
 * JSONL path. "Line" here is the 1-based row index, which is what the Hub's dataset viewer
 * shows (0-based) plus one.
 *
 * Reading goes one row group at a time through an `AsyncBuffer`, so a `File` is read in slices
 * rather than copied whole into memory; only the rows themselves are kept.
 */

import { gunzipSync } from 'fflate';
import { parquetMetadataAsync, parquetReadObjects, parquetSchema, type AsyncBuffer, type Compressors, type FileMetaData, type SchemaTree } from 'hyparquet';
import type { DataIssue, JsonlParseResult, JsonlRow } from './jsonl.ts';
import { decodeUtf8Strict, invalidUtf8Offset } from './utf8.ts';

export interface ParquetOptions {
  /** Shown in every issue and error; defaults to '<input>'. */
  file?: string;
}

/** What a string column holds where its bytes are not UTF-8; turned into an issue below. */
class InvalidText {
  constructor(
    readonly offset: number,
    readonly byte: number,
  ) {}
}

/** What a string column holds where the file gave something other than bytes (a corrupt schema). */
class NotText {
  constructor(readonly found: string) {}
}

// Snappy is built into hyparquet; GZIP costs nothing since fflate is already a dependency.
// ZSTD/Brotli/LZ4 would need extra decoders and are refused with a clear message instead.
const compressors: Compressors = { GZIP: (input: Uint8Array) => gunzipSync(input) };

const parsers = {
  stringFromBytes: (bytes: unknown): string | InvalidText | NotText | undefined => {
    if (bytes === undefined || bytes === null) return undefined;
    // A corrupt schema can declare a string column over, say, booleans; hyparquet passes them on.
    if (!(bytes instanceof Uint8Array)) return new NotText(typeof bytes);
    const text = decodeUtf8Strict(bytes);
    if (text !== undefined) return text;
    const offset = invalidUtf8Offset(bytes);
    return new InvalidText(offset, bytes[offset]);
  },
};

export class ParquetFileError extends Error {
  constructor(file: string, what: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(`${file}: ${what}: ${detail}`);
    this.name = 'ParquetFileError';
  }
}

/**
 * Plain JSON-like values: 64-bit integers (how pandas and the Hub store labels) become numbers,
 * dates become ISO strings; lists and structs stay as they are for validation to judge.
 */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : String(v);
  if (v instanceof Date) return v.toISOString();
  return v;
}

/**
 * Checks that every row group's column chunks match the schema one to one, before hyparquet
 * starts reading: it starts all of a row group's chunks at once and then resolves each chunk's
 * schema path, so a chunk naming no column (a flipped byte in a name) used to fail after the
 * others had started, and their failures became unhandled rejections (fatal in Node).
 */
function checkLayout(metadata: FileMetaData, file: string): void {
  let tree: SchemaTree;
  try {
    tree = parquetSchema(metadata);
  } catch (e) {
    throw new ParquetFileError(file, 'the schema is damaged', e);
  }
  const leaves = new Set<string>();
  const walk = (t: SchemaTree, path: string[]) => {
    for (const c of t.children) {
      const p = [...path, c.element.name];
      if (c.children.length === 0) leaves.add(JSON.stringify(p));
      else walk(c, p);
    }
  };
  walk(tree, []);
  metadata.row_groups.forEach((group, g) => {
    const where = `row group ${g + 1}`;
    if (!Array.isArray(group.columns)) throw new ParquetFileError(file, 'the file metadata is damaged', `${where} lists no columns`);
    const seen = new Set<string>();
    for (const chunk of group.columns) {
      const meta = chunk?.meta_data;
      const path: unknown = meta?.path_in_schema;
      if (!Array.isArray(path) || !path.every((x) => typeof x === 'string')) {
        throw new ParquetFileError(file, 'the file metadata is damaged', `${where} has a column chunk without a column path`);
      }
      const key = JSON.stringify(path);
      if (!leaves.has(key)) throw new ParquetFileError(file, 'the file metadata is damaged', `${where} has data for column "${path.join('.')}", which the schema does not have`);
      if (seen.has(key)) throw new ParquetFileError(file, 'the file metadata is damaged', `${where} has column "${path.join('.')}" twice`);
      seen.add(key);
    }
    for (const leaf of leaves) {
      if (!seen.has(leaf)) {
        throw new ParquetFileError(file, 'the file metadata is damaged', `${where} has no data for column "${(JSON.parse(leaf) as string[]).join('.')}"`);
      }
    }
  });
}

/** The first marker left by `parsers` in a value, looking inside lists and structs. */
function findMarker(v: unknown, depth = 0): InvalidText | NotText | undefined {
  if (v instanceof InvalidText || v instanceof NotText) return v;
  if (depth > 16 || typeof v !== 'object' || v === null) return undefined;
  const items = Array.isArray(v) ? v : Object.getPrototypeOf(v) === Object.prototype ? Object.values(v) : [];
  for (const x of items) {
    const m = findMarker(x, depth + 1);
    if (m) return m;
  }
  return undefined;
}

/** Reads every row of every row group; issues cover strings whose bytes are not UTF-8. */
export async function parseParquet(source: AsyncBuffer, opts: ParquetOptions = {}): Promise<JsonlParseResult> {
  const file = opts.file ?? '<input>';
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(source);
  } catch (e) {
    throw new ParquetFileError(file, 'not a readable Parquet file', e);
  }
  checkLayout(metadata, file);
  const rows: JsonlRow[] = [];
  const issues: DataIssue[] = [];
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    let objects: Record<string, unknown>[];
    try {
      objects = await parquetReadObjects({ file: source, metadata, rowStart, rowEnd, compressors, parsers });
    } catch (e) {
      throw new ParquetFileError(file, `cannot read rows ${rowStart + 1}–${rowEnd}`, e);
    }
    objects.forEach((object, i) => {
      const line = rowStart + i + 1;
      const value: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
      let ok = true;
      for (const [key, v] of Object.entries(object)) {
        const marker = findMarker(v);
        if (marker instanceof NotText) {
          throw new ParquetFileError(file, `cannot read row ${line}`, `string column "${key}" holds a ${marker.found} value; the file's schema is damaged`);
        }
        if (marker instanceof InvalidText) {
          ok = false;
          const hex = marker.byte.toString(16).toUpperCase().padStart(2, '0');
          issues.push({
            code: 'bad-utf8',
            file,
            line,
            field: key,
            message: `field "${key}" is not valid UTF-8 (byte 0x${hex} at byte offset ${marker.offset} of the value); the row was skipped`,
          });
        }
        value[key] = plain(v);
      }
      if (ok) rows.push({ line, value });
    });
    rowStart = rowEnd;
  }
  return { file, rows, issues, totalLines: rowStart, blankLines: 0 };
}

/** An `AsyncBuffer` over bytes in memory or over anything with Blob's `slice().arrayBuffer()`. */
export function asyncBufferOf(data: Uint8Array | SliceableBlob): AsyncBuffer {
  if (data instanceof Uint8Array) {
    return {
      byteLength: data.byteLength,
      // slice() copies, so the ArrayBuffer handed out is exactly the range asked for.
      slice: (start, end) => data.slice(start, end).buffer,
    };
  }
  return { byteLength: data.size, slice: (start, end) => data.slice(start, end).arrayBuffer() };
}

/** The part of `Blob` (and `File`) that reading needs; Node's Blob has it too. */
export interface SliceableBlob {
  readonly size: number;
  slice(start?: number, end?: number): { arrayBuffer(): Promise<ArrayBuffer> };
  arrayBuffer(): Promise<ArrayBuffer>;
}
