// What the server tells us about a file's identity, and checking the bytes against it.
// For LFS files (weights) the Hub's ETag — X-Linked-Etag on the redirect, ETag on the CDN — is
// the file's sha256; for small git files it is a git blob sha1, which we cannot check cheaply
// and only use to tell versions apart.

/** "W/\"abc\"" → "abc"; null stays null. */
export function parseEtag(raw: string | null): string | null {
  if (raw === null) return null;
  const v = raw.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
  return v === '' ? null : v;
}

export function isSha256(etag: string | null): etag is string {
  return etag !== null && /^[0-9a-f]{64}$/i.test(etag);
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  // crypto.subtle: the same code in browsers, workers and Node ≥ 20.
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A non-negative integer header (Content-Length, X-Linked-Size), else null. */
export function sizeHeader(raw: string | null): number | null {
  if (raw === null || !/^\s*\d+\s*$/.test(raw)) return null;
  return Number(raw);
}

/** "bytes 100-199/1000" → {start: 100, total: 1000} ("*" total → null). */
export function parseContentRange(raw: string | null): { start: number; total: number | null } | null {
  const m = raw === null ? null : /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(raw);
  if (!m) return null;
  return { start: Number(m[1]), total: m[3] === '*' ? null : Number(m[3]) };
}
