// A local stand-in for huggingface.co: serves model folders in the Hub's URL layout
// /{org}/{name}/resolve/{revision}/{path} on 127.0.0.1 (random port), with the behaviour the
// downloader depends on — Range requests (206 / 416), ETag = sha256 of the file, X-Linked-Size
// and X-Linked-Etag on LFS-like files (weights), X-Error-Code like the Hub, an optional required
// token — plus switches to cut a response short, hide or corrupt files, and a request log.

import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface HubRequestLog {
  readonly method: string;
  readonly repo: string;
  readonly revision: string;
  readonly file: string;
  readonly range: string | null;
  readonly authorization: string | null;
  readonly status: number;
}

export interface HubServerOptions {
  /** repo id → model folder served for it. */
  readonly repos: Record<string, string>;
  /** When set, every request must carry "Authorization: Bearer <token>". */
  readonly token?: string;
  /** Revisions that exist (default: main only). */
  readonly revisions?: readonly string[];
}

export interface HubServer {
  readonly endpoint: string;
  /** Every request, in arrival order (tests may clear it with log.length = 0). */
  readonly log: HubRequestLog[];
  /** The next `times` responses for `file` send only `bytes` body bytes, then drop the connection. */
  cutAfter(file: string, bytes: number, times?: number): void;
  /** Answer 404 (EntryNotFound) for this file from now on. */
  hide(file: string): void;
  /** Serve bytes with one byte flipped, but the true ETag (to exercise sha256 verification). */
  corrupt(file: string): void;
  close(): Promise<void>;
}

const LFS = /\.(safetensors|onnx|bin)$/;

export async function startHubServer(options: HubServerOptions): Promise<HubServer> {
  const log: HubRequestLog[] = [];
  const cuts = new Map<string, { bytes: number; times: number }>();
  const hidden = new Set<string>();
  const corrupted = new Set<string>();
  const revisions = new Set(options.revisions ?? ['main']);

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // /{org}/{name}/resolve/{rev}/{path…}; the revision is one URL-encoded segment.
    const m = /^\/([^/]+)\/([^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const entry = {
      method: req.method ?? 'GET',
      repo: m ? `${decodeURIComponent(m[1])}/${decodeURIComponent(m[2])}` : '',
      revision: m ? decodeURIComponent(m[3]) : '',
      file: m ? m[4].split('/').map(decodeURIComponent).join('/') : url.pathname,
      range: req.headers.range ?? null,
      authorization: req.headers.authorization ?? null,
    };
    const finish = (status: number, headers: Record<string, string | number> = {}, body?: Buffer | string) => {
      log.push({ ...entry, status });
      res.writeHead(status, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const fail = (status: number, code: string | null, message: string) =>
      finish(status, { 'content-type': 'application/json', ...(code ? { 'x-error-code': code } : {}) }, JSON.stringify({ error: message }));

    if (!m) return fail(404, null, 'Not Found');
    if (options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) {
      return fail(401, null, req.headers.authorization ? 'Invalid credentials' : 'Authentication required');
    }
    const dir = options.repos[entry.repo];
    if (dir === undefined) return fail(404, 'RepoNotFound', 'Repository not found');
    if (!revisions.has(entry.revision)) return fail(404, 'RevisionNotFound', 'Invalid rev id');
    const file = path.resolve(dir, entry.file);
    const isFile = file.startsWith(path.resolve(dir) + path.sep) && statSafe(file);
    if (!isFile || hidden.has(entry.file)) return fail(404, 'EntryNotFound', 'Entry not found');

    let body = readFileSync(file);
    const etag = `"${createHash('sha256').update(body).digest('hex')}"`;
    if (corrupted.has(entry.file)) {
      body = Buffer.from(body);
      body[body.length >> 1] ^= 0xff;
    }
    const size = body.length;
    const headers: Record<string, string | number> = { etag, 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream' };
    if (LFS.test(entry.file)) Object.assign(headers, { 'x-linked-etag': etag, 'x-linked-size': size });

    let start = 0;
    let status = 200;
    const range = /^bytes=(\d+)-(\d*)$/.exec(entry.range ?? '');
    if (range) {
      start = Number(range[1]);
      const end = range[2] === '' ? size - 1 : Math.min(Number(range[2]), size - 1);
      if (start >= size || end < start) return finish(416, { 'content-range': `bytes */${size}` });
      body = body.subarray(start, end + 1);
      status = 206;
      headers['content-range'] = `bytes ${start}-${end}/${size}`;
    }
    headers['content-length'] = body.length;

    const cut = cuts.get(entry.file);
    if (cut && req.method !== 'HEAD') {
      if (--cut.times <= 0) cuts.delete(entry.file);
      log.push({ ...entry, status });
      res.writeHead(status, headers);
      // Send part of the body, then drop the socket: the client sees a body shorter than announced.
      // A body stream that errors drops the chunks its reader has not taken yet (WHATWG streams),
      // so the drop waits a while: a loaded machine's client still reads what was sent.
      res.write(body.subarray(0, cut.bytes), () => setTimeout(() => res.socket?.destroy(), 100));
      return;
    }
    finish(status, headers, body);
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    log,
    cutAfter: (file, bytes, times = 1) => void cuts.set(file, { bytes, times }),
    hide: (file) => void hidden.add(file),
    corrupt: (file) => void corrupted.add(file),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function statSafe(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
