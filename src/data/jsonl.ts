/**
 * JSONL reading with a report of every problem, not just the first: people fix their files in
 * one pass when they see the whole list. This layer only knows about lines and JSON objects;
 * which fields a row needs is decided in shape.ts, which reports into the same `DataIssue` list.
 */

export type DataIssueCode =
  | 'bad-json'
  | 'not-object'
  | 'line-too-long'
  | 'missing-field'
  | 'empty-field'
  | 'wrong-type'
  | 'score-out-of-range'
  | 'duplicate-row'
  // CSV/TSV and non-UTF-8 bytes (csv.ts, load-file.ts).
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

/**
 * UTF-8 length of `s` as TextEncoder would write it: a surrogate pair is 4 bytes, a lone
 * surrogate 3 (it becomes U+FFFD).
 */
function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
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
 * Incremental parser: feed it text (or UTF-8 bytes) in chunks of any size, then call `end()`.
 * A line that grows past the limit is dropped while it streams, so a runaway file cannot
 * exhaust memory before its newline arrives.
 */
export class JsonlParser {
  private readonly file: string;
  private readonly maxLineBytes: number;
  private readonly decoder = new TextDecoder('utf-8');
  private readonly rows: JsonlRow[] = [];
  private readonly issues: DataIssue[] = [];
  /** The line read so far, in the parts it arrived in (joined once, when the line ends). */
  private pending: string[] = [];
  /** UTF-8 length of `pending`, kept as parts arrive so a long line is never re-encoded. */
  private pendingBytes = 0;
  private pendingTooLong = false;
  private lineNo = 0;
  private blank = 0;
  private atStart = true;
  private ended = false;

  constructor(opts: JsonlOptions = {}) {
    this.file = opts.file ?? '<input>';
    this.maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  }

  push(chunk: string | Uint8Array): void {
    if (this.ended) throw new Error('JsonlParser: push() after end()');
    let text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    if (this.atStart && text.length > 0) {
      // Editors on Windows like to write a byte-order mark; it is not part of the first key.
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      this.atStart = false;
    }
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      this.appendPending(text.slice(start, nl));
      this.finishLine();
      start = nl + 1;
    }
    this.appendPending(text.slice(start));
  }

  end(): JsonlParseResult {
    if (!this.ended) {
      const tail = this.decoder.decode();
      if (tail) this.push(tail);
      this.ended = true;
      if (this.pending.length > 0 || this.pendingTooLong) this.finishLine();
    }
    return {
      file: this.file,
      rows: this.rows,
      issues: this.issues,
      totalLines: this.lineNo,
      blankLines: this.blank,
    };
  }

  private appendPending(part: string): void {
    if (this.pendingTooLong || part.length === 0) return;
    let bytes = utf8Length(part);
    // A surrogate pair split between two parts was counted as two lone surrogates (3 + 3 bytes).
    const prev = this.pending.length > 0 ? this.pending[this.pending.length - 1] : '';
    if ((prev.charCodeAt(prev.length - 1) & 0xfc00) === 0xd800 && (part.charCodeAt(0) & 0xfc00) === 0xdc00) bytes -= 2;
    this.pending.push(part);
    this.pendingBytes += bytes;
    if (this.pendingBytes > this.maxLineBytes) {
      this.pending = [];
      this.pendingBytes = 0;
      this.pendingTooLong = true;
    }
  }

  private finishLine(): void {
    this.lineNo++;
    const tooLong = this.pendingTooLong;
    let line = this.pending.join('');
    this.pending = [];
    this.pendingBytes = 0;
    this.pendingTooLong = false;
    if (tooLong) {
      this.issue('line-too-long', `line is longer than the limit of ${this.maxLineBytes} bytes; it was not read`);
      return;
    }
    if (line.endsWith('\r')) line = line.slice(0, -1);
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
        line: this.lineNo,
        ...(column === undefined ? {} : { column }),
        message: `invalid JSON: ${detail}`,
      });
      return;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.issue('not-object', `expected a JSON object like {"anchor": "...", "positive": "..."}, got ${describeType(value)}`);
      return;
    }
    this.rows.push({ line: this.lineNo, value: value as Record<string, unknown> });
  }

  private issue(code: DataIssueCode, message: string): void {
    this.issues.push({ code, file: this.file, line: this.lineNo, message });
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
