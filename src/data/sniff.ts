/**
 * A first look at a text file's opening bytes, before any parser: a file that is not text at all
 * (an image, a zip, a model renamed .jsonl) gets one message saying so, rather than a UTF-8 error
 * per line and advice to map its columns.
 */

/** Bytes looked at: enough to tell, small enough to cost nothing. */
export const SNIFF_BYTES = 8192;

/**
 * Share of the sample that may be control bytes. Text in any ASCII-compatible encoding (UTF-8,
 * Windows-1252, GBK, Shift_JIS) has next to none — those get the UTF-8 advice per line instead —
 * while compressed or random bytes have about 12%.
 */
const CONTROL_SHARE = 0.05;

/** Why the sample is not text, or null when it looks like text. */
export function binaryReason(sample: Uint8Array): string | null {
  const bytes = sample.subarray(0, SNIFF_BYTES);
  if (bytes.length === 0) return null;
  if (bytes.includes(0)) {
    // UTF-16 text of Latin script has a NUL in every other byte.
    let even = 0, odd = 0;
    bytes.forEach((b, i) => b === 0 && (i % 2 === 0 ? even++ : odd++));
    const utf16 = Math.max(even, odd) > bytes.length * 0.2;
    return utf16 ? 'NUL bytes in every other byte, as in UTF-16 text; save it as UTF-8' : 'it has NUL bytes';
  }
  let controls = 0;
  // Tab, LF, FF and CR are text; the other C0 controls and DEL are not.
  for (const b of bytes) if (b === 0x7f || (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0c && b !== 0x0d)) controls++;
  const share = controls / bytes.length;
  return share > CONTROL_SHARE ? `${Math.round(share * 100)}% of its first ${bytes.length} bytes are control characters` : null;
}

/** Gathers a file's first SNIFF_BYTES from its chunks as they stream past. */
export class FileSniffer {
  private readonly head = new Uint8Array(SNIFF_BYTES);
  private length = 0;
  private checked = false;

  /** Adds a chunk; once enough bytes are in, says whether the file is binary (only once). */
  push(chunk: Uint8Array): string | null {
    if (this.checked) return null;
    const take = Math.min(chunk.length, SNIFF_BYTES - this.length);
    this.head.set(chunk.subarray(0, take), this.length);
    this.length += take;
    if (this.length < SNIFF_BYTES) return null;
    return this.end();
  }

  /** Whether the verdict was given (SNIFF_BYTES seen, or end called). */
  get decided(): boolean {
    return this.checked;
  }

  /** The verdict on what was seen, for a file shorter than SNIFF_BYTES. */
  end(): string | null {
    if (this.checked) return null;
    this.checked = true;
    return binaryReason(this.head.subarray(0, this.length));
  }
}
