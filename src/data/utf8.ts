/**
 * UTF-8 checks for user files. TextDecoder with `fatal` says whether bytes are valid but not
 * where they stop being so; people fixing a file exported as Windows-1252 or GBK need the line
 * and the byte, so the slow scan below runs only on input the fast check has already refused.
 */

const strict = new TextDecoder('utf-8', { fatal: true });
const lenient = new TextDecoder('utf-8');

/** The text, or undefined when the bytes are not valid UTF-8. */
export function decodeUtf8Strict(bytes: Uint8Array): string | undefined {
  try {
    return strict.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Offset of the first byte that does not start a well-formed UTF-8 sequence, or -1. */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  if (decodeUtf8Strict(bytes) !== undefined) return -1;
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    // Sequence length and the allowed range of the second byte (Unicode Table 3-7), which
    // rules out overlong forms, surrogates and code points above U+10FFFF.
    let n: number, lo = 0x80, hi = 0xbf;
    if (b < 0x80) n = 1;
    else if (b >= 0xc2 && b <= 0xdf) n = 2;
    else if (b >= 0xe0 && b <= 0xef) [n, lo, hi] = [3, b === 0xe0 ? 0xa0 : 0x80, b === 0xed ? 0x9f : 0xbf];
    else if (b >= 0xf0 && b <= 0xf4) [n, lo, hi] = [4, b === 0xf0 ? 0x90 : 0x80, b === 0xf4 ? 0x8f : 0xbf];
    else return i;
    if (i + n > bytes.length) return i;
    for (let k = 1; k < n; k++) {
      const c = bytes[i + k];
      if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return i;
    }
    i += n;
  }
  return -1;
}

export interface BadUtf8Line {
  /** 1-based line number. */
  line: number;
  /** 0-based offset of the bad byte in the file and in its line. */
  fileOffset: number;
  lineOffset: number;
  byte: number;
}

/**
 * What ends a line, as the parser that reads the text counts lines: JSONL splits at "\n" only
 * (a "\r\n" ends with one), CSV/TSV also at a lone "\r" (classic Mac files).
 */
export type LineEnds = 'lf' | 'any';

/**
 * Decodes a whole file, replacing bad bytes with U+FFFD (a line end is never swallowed, so line
 * numbers stay right), and lists the lines that held bad bytes so their rows can be refused.
 * Lines are counted as `lineEnds` says, so that they agree with the parser's line numbers.
 */
export function decodeUtf8Lines(bytes: Uint8Array, lineEnds: LineEnds = 'lf'): { text: string; bad: BadUtf8Line[] } {
  const whole = decodeUtf8Strict(bytes);
  if (whole !== undefined) return { text: whole, bad: [] };
  const bad: BadUtf8Line[] = [];
  for (let start = 0, line = 1; start < bytes.length; line++) {
    let end = start;
    // A "\r" ends a line unless a "\n" follows (then the "\n" ends it).
    while (end < bytes.length && bytes[end] !== 0x0a && !(lineEnds === 'any' && bytes[end] === 0x0d && bytes[end + 1] !== 0x0a)) end++;
    const off = invalidUtf8Offset(bytes.subarray(start, end));
    if (off >= 0) bad.push({ line, fileOffset: start + off, lineOffset: off, byte: bytes[start + off] });
    start = end + 1;
  }
  return { text: lenient.decode(bytes), bad };
}

/** The user-facing sentence for a bad line. */
export function badUtf8Message(b: Pick<BadUtf8Line, 'fileOffset' | 'lineOffset' | 'byte'>): string {
  const hex = b.byte.toString(16).toUpperCase().padStart(2, '0');
  return (
    `not valid UTF-8: byte 0x${hex} at byte offset ${b.fileOffset} of the file (byte ${b.lineOffset + 1} of the line); ` +
    'the row was skipped. The file may be in another encoding (Windows-1252, GBK, Shift_JIS…); save it as UTF-8'
  );
}

/**
 * invalidUtf8Offset for bytes that arrive in parts (a line too long to keep): feed every part,
 * then `end()` gives the first bad byte exactly as invalidUtf8Offset on the joined bytes would.
 */
export class Utf8Validator {
  private pos = 0;
  /** Continuation bytes still expected, the allowed range of the next one, and where the sequence began. */
  private need = 0;
  private lo = 0x80;
  private hi = 0xbf;
  private seqStart = 0;
  private lead = 0;
  private bad: { offset: number; byte: number } | null = null;

  push(bytes: Uint8Array): void {
    if (this.bad) return;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      const at = this.pos + i;
      if (this.need === 0) {
        if (b < 0x80) continue;
        let n: number;
        if (b >= 0xc2 && b <= 0xdf) [n, this.lo, this.hi] = [2, 0x80, 0xbf];
        else if (b >= 0xe0 && b <= 0xef) [n, this.lo, this.hi] = [3, b === 0xe0 ? 0xa0 : 0x80, b === 0xed ? 0x9f : 0xbf];
        else if (b >= 0xf0 && b <= 0xf4) [n, this.lo, this.hi] = [4, b === 0xf0 ? 0x90 : 0x80, b === 0xf4 ? 0x8f : 0xbf];
        else {
          this.bad = { offset: at, byte: b };
          return;
        }
        this.need = n - 1;
        this.seqStart = at;
        this.lead = b;
      } else {
        if (b < this.lo || b > this.hi) {
          // Like invalidUtf8Offset: the sequence is bad from its first byte.
          this.bad = { offset: this.seqStart, byte: this.lead };
          return;
        }
        this.need--;
        [this.lo, this.hi] = [0x80, 0xbf];
      }
    }
    this.pos += bytes.length;
  }

  /** The first bad byte (offset from the first byte pushed), or null when all of it was UTF-8. */
  end(): { offset: number; byte: number } | null {
    if (!this.bad && this.need > 0) this.bad = { offset: this.seqStart, byte: this.lead };
    return this.bad;
  }
}
