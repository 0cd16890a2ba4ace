/**
 * UTF-8 bytes in chunks of any size → lines of text, for files too large to hold twice.
 *
 * Lines end at "\n" (JSONL's rule; a "\r" before it stays in the line). Memory stays bounded by
 * the line being read, never the file:
 * - complete lines inside a chunk are decoded straight from the chunk, a window of at most
 *   DECODE_WINDOW bytes at a time (a whole-file Uint8Array is never turned into one string);
 * - only a line that straddles chunks is joined, once, when its "\n" arrives;
 * - a line over `maxLineBytes` is dropped as it streams, checked for bad UTF-8 on the way.
 * Bad bytes are found per line, with the offsets a person needs to find them (utf8.ts); a byte-
 * order mark at the very start of the stream is skipped but still counted in file offsets.
 */

import { invalidUtf8Offset, Utf8Validator, type BadUtf8Line } from './utf8.ts';

export interface LineSink {
  /** A line that is valid UTF-8 and within the limit (without its "\n"). */
  text(line: string): void;
  /** A line longer than the limit, valid UTF-8 as far as can be told. */
  tooLong(): void;
  /** A line with bytes that are not UTF-8 (it is not decoded). */
  badUtf8(bad: Omit<BadUtf8Line, 'line'>): void;
}

/** Most bytes decoded into one string at once (complete lines; a longer single line is decoded alone). */
export const DECODE_WINDOW = 1 << 20;

export interface SplitterStats {
  /** Bytes consumed so far (a byte-order mark included). */
  readonly bytes: number;
  /** The most bytes ever copied to join one line from parts (0 while no line straddled chunks). */
  readonly largestJoin: number;
  /** The most bytes ever decoded into one string. */
  readonly largestDecode: number;
}

const NL = 0x0a;
const BOM = Uint8Array.of(0xef, 0xbb, 0xbf);
const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export class Utf8LineSplitter {
  /** Absolute offset of the next byte pushed. */
  private offset = 0;
  /** Absolute offset where the current line starts (0 for the first line, byte-order mark and all). */
  private lineStart = 0;
  /** The current line's bytes so far, as the parts they arrived in, and the offset of the first. */
  private parts: Uint8Array[] = [];
  private partBytes = 0;
  private partsStart = 0;
  /** Set once the current line passed the limit: its bytes are only validated, not kept. */
  private dropping: Utf8Validator | null = null;
  /** First bytes of the stream while fewer than 3 have arrived (to recognise a byte-order mark). */
  private head: Uint8Array | null = new Uint8Array(0);
  private largestJoin = 0;
  private largestDecode = 0;

  constructor(
    private readonly sink: LineSink,
    private readonly maxLineBytes: number,
  ) {}

  get stats(): SplitterStats {
    return { bytes: this.offset, largestJoin: this.largestJoin, largestDecode: this.largestDecode };
  }

  push(chunk: Uint8Array): void {
    if (this.head !== null) {
      const got = this.head.length === 0 ? chunk : concat([this.head, chunk], this.head.length + chunk.length);
      const rest = this.afterByteOrderMarks(got, false);
      if (rest === null) {
        this.head = got;
        return;
      }
      chunk = rest;
    }
    this.consume(chunk);
  }

  /** Ends the stream: a last line without "\n" is still a line. */
  end(): void {
    if (this.head !== null) this.consume(this.afterByteOrderMarks(this.head, true)!);
    if (this.partBytes > 0 || this.dropping) this.finishPending();
  }

  /**
   * The stream's first bytes without their byte-order mark(s), or null while they might still be
   * one. Up to two are skipped: the decoder used to drop one and the parser a second.
   */
  private afterByteOrderMarks(got: Uint8Array, final: boolean): Uint8Array | null {
    let skip = 0;
    const bomAt = (i: number, n: number) => BOM.subarray(0, n).every((b, k) => got[i + k] === b);
    while (skip < 6 && got.length >= skip + 3 && bomAt(skip, 3)) skip += 3;
    if (!final && skip < 6 && got.length < skip + 3 && bomAt(skip, got.length - skip)) return null;
    this.head = null;
    this.offset += skip;
    return got.subarray(skip);
  }

  private consume(chunk: Uint8Array): void {
    const base = this.offset;
    let pos = 0;
    if (this.partBytes > 0 || this.dropping) {
      const nl = chunk.indexOf(NL);
      if (nl < 0) {
        this.append(chunk, base);
        this.offset += chunk.length;
        return;
      }
      this.append(chunk.subarray(0, nl), base);
      this.finishPending();
      pos = nl + 1;
      this.lineStart = base + pos;
    }
    while (pos < chunk.length) {
      const limit = Math.min(chunk.length, pos + DECODE_WINDOW);
      const last = chunk.lastIndexOf(NL, limit - 1);
      if (last >= pos) {
        this.lines(chunk.subarray(pos, last + 1), base + pos);
        pos = last + 1;
        continue;
      }
      // No "\n" within the window: one long line, or the unfinished tail of this chunk.
      const nl = limit < chunk.length ? chunk.indexOf(NL, limit) : -1;
      if (nl < 0) {
        this.append(chunk.subarray(pos), base + pos);
        break;
      }
      this.line(chunk.subarray(pos, nl), base + pos);
      pos = nl + 1;
      this.lineStart = base + pos;
    }
    this.offset = base + chunk.length;
  }

  /** Complete lines, each ending with "\n", starting at absolute offset `at`. */
  private lines(region: Uint8Array, at: number): void {
    let text: string | null;
    try {
      text = fatal.decode(region);
      this.largestDecode = Math.max(this.largestDecode, region.length);
    } catch {
      text = null;
    }
    let b = 0;
    let t = 0;
    while (b < region.length) {
      const nlB = region.indexOf(NL, b);
      if (text === null) this.line(region.subarray(b, nlB), at + b);
      else {
        const nlT = text.indexOf('\n', t);
        if (nlB - b > this.maxLineBytes) this.sink.tooLong();
        else this.sink.text(text.slice(t, nlT));
        t = nlT + 1;
      }
      b = nlB + 1;
      this.lineStart = at + b;
    }
  }

  /** One whole line (without "\n") whose first byte is at absolute offset `at`. */
  private line(bytes: Uint8Array, at: number): void {
    if (bytes.length > this.maxLineBytes) {
      const off = invalidUtf8Offset(bytes);
      if (off >= 0) this.bad(at + off, bytes[off]);
      else this.sink.tooLong();
      return;
    }
    let text: string;
    try {
      text = fatal.decode(bytes);
    } catch {
      const off = invalidUtf8Offset(bytes);
      this.bad(at + off, bytes[off]);
      return;
    }
    this.largestDecode = Math.max(this.largestDecode, bytes.length);
    this.sink.text(text);
  }

  private bad(fileOffset: number, byte: number): void {
    this.sink.badUtf8({ fileOffset, lineOffset: fileOffset - this.lineStart, byte });
  }

  /** Adds bytes of the current line; `at` is the absolute offset of part[0]. */
  private append(part: Uint8Array, at: number): void {
    if (part.length === 0) return;
    if (this.dropping) {
      this.dropping.push(part);
      return;
    }
    if (this.partBytes === 0) this.partsStart = at;
    this.parts.push(part);
    this.partBytes += part.length;
    if (this.partBytes > this.maxLineBytes) {
      this.dropping = new Utf8Validator();
      for (const p of this.parts) this.dropping.push(p);
      this.parts = [];
    }
  }

  /** The line held in parts (or dropped) is complete. */
  private finishPending(): void {
    const parts = this.parts;
    const size = this.partBytes;
    const dropping = this.dropping;
    this.parts = [];
    this.partBytes = 0;
    this.dropping = null;
    // Not always lineStart: line 1's parts begin after a byte-order mark.
    const at = this.partsStart;
    if (dropping) {
      const bad = dropping.end();
      if (bad) this.bad(at + bad.offset, bad.byte);
      else this.sink.tooLong();
      return;
    }
    if (parts.length === 1) return this.line(parts[0], at);
    this.largestJoin = Math.max(this.largestJoin, size);
    this.line(concat(parts, size), at);
  }
}

function concat(parts: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
