/**
 * JSONL reading with a report of every problem, not just the first: people fix their files in
 * one pass when they see the whole list. This layer only knows about lines and JSON objects;
 * which fields a row needs is decided in shape.ts, which reports into the same `DataIssue` list.
 */

import { Utf8LineSplitter, type SplitterStats } from './line-splitter.ts';
import { badUtf8Message } from './utf8.ts';

export type DataIssueCode =
  | 'bad-json'
  | 'not-object'
  | 'line-too-long'
  | 'missing-field'
  | 'empty-field'
  | 'wrong-type'
  | 'score-out-of-range'
  | 'duplicate-row'
  // CSV/TSV (csv.ts) and non-UTF-8 bytes (line-splitter.ts for JSONL, load-file.ts for CSV/TSV).
  | 'bad-csv'
  | 'bad-utf8';

/** One problem with one line. Every issue means that line was skipped. */
export interface DataIssue {
  code: DataIssueCode;
  file: string;
  /** 1-based line number in the file. */
  line: number;
  /** 1-based character column, where the problem has one (JSON syntax errors). */
  column?: number;
  /** The field (column name) the problem is about. */
  field?: string;
  /** What was expected and what was found, in words meant for the user. */
  message: string;
}

/** A syntactically valid JSON object and the line it came from. */
export interface JsonlRow {
  line: number;
  value: Record<string, unknown>;
}

export interface JsonlParseResult {
  file: string;
  rows: JsonlRow[];
  issues: DataIssue[];
  /** Lines seen, including blank ones (a trailing newline does not start a new line). */
  totalLines: number;
  blankLines: number;
}

export interface JsonlOptions {
  /** Shown in every issue; defaults to '<input>'. */
  file?: string;
  /** Longest accepted line in UTF-8 bytes; longer lines are skipped without being parsed. */
  maxLineBytes?: number;
}

/** 1 MiB: far beyond any text an encoder with a 512-token window can use. */
export const DEFAULT_MAX_LINE_BYTES = 1 << 20;

/** `file:line[:column]: message`, the form editors and terminals turn into links. */
export function formatIssue(issue: DataIssue): string {
  const where = issue.column === undefined ? `${issue.line}` : `${issue.line}:${issue.column}`;
  return `${issue.file}:${where}: ${issue.message}`;
}

/** "a string", "an array", "null"…: for messages that say what was found. */
export function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return 'a number';
  if (typeof v === 'boolean') return 'a boolean';
  return typeof v;
}

/**
 * Incremental parser: feed it UTF-8 bytes (or text) in chunks of any size, then call `end()`.
 * Whole files and streams take the same path (line-splitter.ts), so both report the same lines,
 * issues and UTF-8 problems; memory is the rows plus at most one line of bytes, never the text.
 * A line that grows past the limit is dropped while it streams, so a runaway file cannot
 * exhaust memory before its newline arrives.
 */
export class JsonlParser {
  private readonly file: string;
  private readonly maxLineBytes: number;
  private readonly splitter: Utf8LineSplitter;
  private readonly encoder = new TextEncoder();
  private readonly rows: JsonlRow[] = [];
  private readonly issues: DataIssue[] = [];
  /** A high surrogate that ended a text chunk: it is encoded with the next chunk's first unit. */
  private heldSurrogate = '';
  private lineNo = 0;
  private blank = 0;
  private ended = false;

  constructor(opts: JsonlOptions = {}) {
    this.file = opts.file ?? '<input>';
    this.maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.splitter = new Utf8LineSplitter(
      {
        text: (line) => this.textLine(line),
        tooLong: () => this.issue(++this.lineNo, 'line-too-long', `line is longer than the limit of ${this.maxLineBytes} bytes; it was not read`),
        badUtf8: (bad) => this.issue(++this.lineNo, 'bad-utf8', badUtf8Message(bad)),
      },
      this.maxLineBytes,
    );
  }

  /** Bytes read and the most bytes ever joined into one line / decoded into one string. */
  get stats(): SplitterStats {
    return this.splitter.stats;
  }

  push(chunk: string | Uint8Array): void {
    if (this.ended) throw new Error('JsonlParser: push() after end()');
    if (typeof chunk !== 'string') {
      this.splitter.push(chunk);
      return;
    }
    // Text is encoded as TextEncoder would encode it whole: a pair split between chunks stays a pair.
    let text = this.heldSurrogate + chunk;
    this.heldSurrogate = '';
    const lastUnit = text.charCodeAt(text.length - 1);
    if (lastUnit >= 0xd800 && lastUnit <= 0xdbff) {
      this.heldSurrogate = text.slice(-1);
      text = text.slice(0, -1);
    }
    if (text.length > 0) this.splitter.push(this.encoder.encode(text));
  }

  end(): JsonlParseResult {
    if (!this.ended) {
      if (this.heldSurrogate) this.splitter.push(this.encoder.encode(this.heldSurrogate));
      this.heldSurrogate = '';
      this.splitter.end();
      this.ended = true;
    }
    return {
      file: this.file,
      rows: this.rows,
      issues: this.issues,
      totalLines: this.lineNo,
      blankLines: this.blank,
    };
  }

  private textLine(text: string): void {
    const lineNo = ++this.lineNo;
    const line = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (line.trim().length === 0) {
      this.blank++;
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      const raw = err instanceof Error ? err.message : String(err);
      // V8 reports a 0-based UTF-16 offset ("... at position 8"); users want a 1-based column.
      const pos = /position (\d+)/.exec(raw);
      const column = pos ? Number(pos[1]) + 1 : undefined;
      const detail = raw.replace(/ in JSON at position \d+.*$/, '').replace(/\s*\(line \d+ column \d+\)$/, '');
      this.issues.push({
        code: 'bad-json',
        file: this.file,
        line: lineNo,
        ...(column === undefined ? {} : { column }),
        message: `invalid JSON: ${detail}`,
      });
      return;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.issue(lineNo, 'not-object', `expected a JSON object like {"anchor": "...", "positive": "..."}, got ${describeType(value)}`);
      return;
    }
    this.rows.push({ line: lineNo, value: value as Record<string, unknown> });
  }

  private issue(line: number, code: DataIssueCode, message: string): void {
    this.issues.push({ code, file: this.file, line, message });
  }
}

/** Parses a whole JSONL text (or an iterable of chunks) at once. */
export function parseJsonl(input: string | Iterable<string | Uint8Array>, opts: JsonlOptions = {}): JsonlParseResult {
  const parser = new JsonlParser(opts);
  if (typeof input === 'string') parser.push(input);
  else for (const chunk of input) parser.push(chunk);
  return parser.end();
}

/** Same as `parseJsonl` for streams, e.g. `file.stream()` in the browser or a Node read stream. */
export async function parseJsonlStream(
  input: AsyncIterable<string | Uint8Array>,
  opts: JsonlOptions = {},
): Promise<JsonlParseResult> {
  const parser = new JsonlParser(opts);
  for await (const chunk of input) parser.push(chunk);
  return parser.end();
}
