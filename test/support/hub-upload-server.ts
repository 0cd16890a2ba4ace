// A local stand-in for the parts of huggingface.co that @huggingface/hub calls to push a model:
// whoami-v2, the repo info and create endpoints, preupload, the Git LFS batch API (answering with
// the "basic" transfer, as the Hub may), the LFS object PUT (sha256 and size checked, chunked
// bodies refused as S3 refuses them), the NDJSON commit (applied all at once, only when every LFS
// object it names was uploaded), the tree listing, and /resolve/ downloads. With CORS, so the
// page's worker can push to it. Switches: cut an upload after N bytes (the socket is destroyed,
// as a dropped network would), and a request log. Tokens map to users; only a user's own
// namespace (or an org they are in) is writable.

import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface UploadUser {
  readonly name: string;
  readonly orgs?: readonly string[];
  /** A read token: whoami works, writes get 403. */
  readonly readOnly?: boolean;
}

export interface StoredFile {
  readonly bytes: Buffer;
  /** sha256 of the content when it went through LFS. */
  readonly lfsOid?: string;
}

export interface StandInRepo {
  readonly owner: string;
  readonly private: boolean;
  files: Map<string, StoredFile>;
  readonly commits: { oid: string; title: string; files: string[] }[];
}

export interface UploadRequestLog {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly authorization: string | null;
  /** Content-Length of the request, or "chunked". */
  readonly bodyLength: string | null;
}

export interface HubUploadServer {
  readonly endpoint: string;
  readonly repos: Map<string, StandInRepo>;
  readonly lfs: Map<string, Buffer>;
  readonly log: UploadRequestLog[];
  /** The next `times` LFS uploads whose object is `oid` (or any, with '*') are cut after `bytes` bytes. */
  cutUploadAfter(oid: string, bytes: number, times?: number): void;
  /** Makes a repo exist (someone else's name, a repo pushed before). */
  addRepo(id: string, repo: Partial<StandInRepo> & { owner: string }): void;
  close(): Promise<void>;
}

/** Files the stand-in wants through LFS, as the Hub does for weights (and anything over 10 MB). */
const LFS_FILE = /\.(safetensors|onnx|bin|pt)$/;
const LFS_MIN = 10 * 1024 * 1024;

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export async function startHubUploadServer(options: { tokens: Record<string, UploadUser> }): Promise<HubUploadServer> {
  const repos = new Map<string, StandInRepo>();
  const lfs = new Map<string, Buffer>();
  const log: UploadRequestLog[] = [];
  const cuts: { oid: string; bytes: number; times: number }[] = [];
  let endpoint = '';

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const p = url.pathname;
    const auth = req.headers.authorization ?? null;
    const bodyLength = req.headers['transfer-encoding'] === 'chunked' ? 'chunked' : (req.headers['content-length'] ?? null);
    const cors = {
      'access-control-allow-origin': req.headers.origin ?? '*',
      'access-control-allow-headers': 'authorization, content-type, accept, x-request-id',
      'access-control-allow-methods': 'GET, HEAD, POST, PUT, OPTIONS',
      'access-control-expose-headers': 'etag, x-request-id, link, x-error-code, x-error-message',
      'cross-origin-resource-policy': 'cross-origin',
    };
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      log.push({ method: req.method ?? 'GET', path: p, status, authorization: auth, bodyLength });
      const isBuf = Buffer.isBuffer(body);
      res.writeHead(status, { ...cors, 'content-type': isBuf ? 'application/octet-stream' : 'application/json', ...headers });
      res.end(req.method === 'HEAD' ? undefined : isBuf ? body : JSON.stringify(body));
    };
    const error = (status: number, message: string, code?: string) => send(status, { error: message }, code ? { 'x-error-code': code } : {});
    if (req.method === 'OPTIONS') {
      log.push({ method: 'OPTIONS', path: p, status: 204, authorization: null, bodyLength });
      res.writeHead(204, cors);
      return res.end();
    }
    const user = auth?.startsWith('Bearer ') ? options.tokens[auth.slice(7)] : undefined;
    const canWrite = (ns: string) => !!user && !user.readOnly && (user.name === ns || (user.orgs ?? []).includes(ns));
    const canRead = (r: StandInRepo) => !r.private || (!!user && (user.name === r.owner || (user.orgs ?? []).includes(r.owner)));

    const chunks: Buffer[] = [];
    let received = 0;
    // An LFS upload to cut: count its bytes and destroy the socket past the limit.
    const lfsPut = req.method === 'PUT' ? /^\/lfs-upload\/([0-9a-f]{64})$/.exec(p) : null;
    const cutIndex = lfsPut ? cuts.findIndex((c) => c.times > 0 && (c.oid === '*' || c.oid === lfsPut[1])) : -1;
    req.on('data', (c: Buffer) => {
      received += c.length;
      chunks.push(c);
      if (cutIndex >= 0 && received >= cuts[cutIndex].bytes) {
        cuts[cutIndex].times--;
        log.push({ method: 'PUT', path: p, status: 0, authorization: auth, bodyLength });
        req.socket.destroy();
      }
    });
    req.on('end', () => {
      if (req.socket.destroyed) return;
      const body = Buffer.concat(chunks);
      const json = () => JSON.parse(body.toString('utf8')) as Record<string, unknown>;

      if (p === '/api/whoami-v2') {
        if (!auth) return error(401, 'Authorization header is required');
        if (!user) return error(401, 'Invalid credentials in Authorization header');
        return send(200, {
          type: 'user', id: user.name, name: user.name, fullname: user.name, isPro: false, canPay: false, emailVerified: true,
          orgs: (user.orgs ?? []).map((o) => ({ type: 'org', id: o, name: o })),
          auth: { type: 'access_token', accessToken: { displayName: 'stand-in', role: user.readOnly ? 'read' : 'write' } },
        });
      }
      if (p === '/api/repos/create' && req.method === 'POST') {
        if (!user) return error(401, 'Invalid credentials in Authorization header');
        const b = json();
        const ns = typeof b.organization === 'string' ? b.organization : user.name;
        const id = `${ns}/${String(b.name)}`;
        if (!canWrite(ns)) return error(403, `You don't have the rights to create a model under the namespace "${ns}"`);
        if (repos.has(id)) return error(409, 'You already created this model repo', undefined);
        repos.set(id, { owner: ns, private: b.visibility === 'private' || b.private === true, files: new Map(), commits: [] });
        return send(200, { url: `${endpoint}/${id}`, name: id, id: `repo-${repos.size}` });
      }
      let m = /^\/api\/models\/([^/]+)\/([^/]+)$/.exec(p);
      if (m && req.method === 'GET') {
        const repo = repos.get(`${m[1]}/${m[2]}`);
        if (!repo || !canRead(repo)) return error(404, 'Repository not found', 'RepoNotFound');
        return send(200, { id: `${m[1]}/${m[2]}`, private: repo.private, likes: 0 });
      }
      m = /^\/api\/models\/([^/]+)\/([^/]+)\/preupload\/([^/]+)$/.exec(p);
      if (m && req.method === 'POST') {
        const repo = repos.get(`${m[1]}/${m[2]}`);
        if (!repo || !canRead(repo)) return error(404, 'Repository not found', 'RepoNotFound');
        if (!canWrite(repo.owner)) return error(403, 'You do not have write access to this repo');
        const files = (json().files as { path: string; size: number }[]).map((f) => ({
          path: f.path, uploadMode: LFS_FILE.test(f.path) || f.size >= LFS_MIN ? 'lfs' : 'regular', shouldIgnore: false,
        }));
        return send(200, { files, commitOid: repo.commits.at(-1)?.oid ?? null });
      }
      m = /^\/([^/]+)\/([^/]+)\.git\/info\/lfs\/objects\/batch$/.exec(p);
      if (m && req.method === 'POST') {
        const repo = repos.get(`${m[1]}/${m[2]}`);
        if (!repo || !canWrite(repo.owner)) return error(403, 'You do not have write access to this repo');
        const b = json() as { transfers?: string[]; objects: { oid: string; size: number }[] };
        if (!b.transfers?.includes('basic')) return error(422, 'the stand-in speaks the basic transfer only');
        return send(200, {
          transfer: 'basic',
          objects: b.objects.map((o) => (lfs.has(o.oid) ? { oid: o.oid, size: o.size } : { oid: o.oid, size: o.size, actions: { upload: { href: `${endpoint}/lfs-upload/${o.oid}`, header: {} } } })),
        }, { 'content-type': 'application/vnd.git-lfs+json' });
      }
      if (lfsPut) {
        // Object storage refuses uploads without a length; so does the stand-in.
        if (bodyLength === 'chunked' || bodyLength === null) return send(501, { error: 'chunked uploads are not supported: send Content-Length' });
        if (sha256(body) !== lfsPut[1]) return error(400, `the body's sha256 is not ${lfsPut[1]}`);
        lfs.set(lfsPut[1], body);
        return send(200, {}, { etag: `"${lfsPut[1].slice(0, 32)}"` });
      }
      m = /^\/api\/models\/([^/]+)\/([^/]+)\/commit\/([^/]+)$/.exec(p);
      if (m && req.method === 'POST') {
        const id = `${m[1]}/${m[2]}`;
        const repo = repos.get(id);
        if (!repo || !canRead(repo)) return error(404, 'Repository not found', 'RepoNotFound');
        if (!canWrite(repo.owner)) return error(403, 'You do not have write access to this repo');
        const lines = body.toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { key: string; value: Record<string, unknown> });
        const next = new Map(repo.files);
        let title = '';
        for (const { key, value } of lines) {
          if (key === 'header') title = String(value.summary);
          else if (key === 'file') next.set(String(value.path), { bytes: Buffer.from(String(value.content), value.encoding === 'base64' ? 'base64' : 'utf8') });
          else if (key === 'lfsFile') {
            const bytes = lfs.get(String(value.oid));
            // The whole commit fails: nothing of it is applied.
            if (!bytes || bytes.length !== value.size) return error(422, `LFS object ${String(value.oid)} for ${String(value.path)} was never uploaded`);
            next.set(String(value.path), { bytes, lfsOid: String(value.oid) });
          } else if (key === 'deletedFile') next.delete(String(value.path));
        }
        repo.files = next;
        const oid = createHash('sha1').update(`${id}${repo.commits.length}${title}`).digest('hex');
        repo.commits.push({ oid, title, files: [...next.keys()] });
        return send(200, { success: true, commitOid: oid, commitUrl: `${endpoint}/${id}/commit/${oid}`, hookOutput: '' });
      }
      m = /^\/api\/models\/([^/]+)\/([^/]+)\/tree\/([^/]+)$/.exec(p);
      if (m && req.method === 'GET') {
        const repo = repos.get(`${m[1]}/${m[2]}`);
        if (!repo || !canRead(repo)) return error(404, 'Repository not found', 'RepoNotFound');
        return send(200, [...repo.files].map(([path, f]) => ({
          type: 'file', path, size: f.bytes.length, oid: sha256(f.bytes).slice(0, 40),
          ...(f.lfsOid ? { lfs: { oid: f.lfsOid, size: f.bytes.length, pointerSize: 134 } } : {}),
        })));
      }
      m = /^\/([^/]+)\/([^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(p);
      if (m && (req.method === 'GET' || req.method === 'HEAD')) {
        const repo = repos.get(`${m[1]}/${m[2]}`);
        if (!repo || !canRead(repo)) return error(404, 'Repository not found', 'RepoNotFound');
        const f = repo.files.get(m[4].split('/').map(decodeURIComponent).join('/'));
        if (!f) return error(404, 'Entry not found', 'EntryNotFound');
        return send(200, f.bytes, { etag: `"${sha256(f.bytes)}"`, 'content-length': String(f.bytes.length) });
      }
      return error(404, `the stand-in has no ${req.method} ${p}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    repos,
    lfs,
    log,
    cutUploadAfter(oid, bytes, times = 1) {
      cuts.push({ oid, bytes, times });
    },
    addRepo(id, repo) {
      repos.set(id, { private: false, files: new Map(), commits: [], ...repo });
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
