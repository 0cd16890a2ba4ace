// Pushes an exported model folder to a Hugging Face Hub repo through @huggingface/hub (the
// Hub's own client: repo creation, preupload, LFS batch and upload, the atomic commit), in the
// browser worker and in Node alike. What this file adds around the library: checks before
// anything is sent (token, repo name, an existing repo), byte progress, cancel, errors said in
// the person's terms, and a check that the commit holds every file at its size. The token is a
// parameter of this one call: it is never kept, logged or put in an error message.

import { commitIter, createRepo, HubApiError, listFiles, repoExists, whoAmI, type CommitOperation } from '@huggingface/hub';

export const DEFAULT_HUB_URL = 'https://huggingface.co';

const UPLOAD_SLICE = 256 * 1024;

export type PushPhase = 'checking' | 'creating' | 'hashing' | 'uploading' | 'committing' | 'verifying' | 'done';

export interface PushProgress {
  readonly phase: PushPhase;
  /** Bytes of file content sent so far (large files as they go, small ones when the commit lands). */
  readonly bytesSent: number;
  readonly bytesTotal: number;
  /** The file being hashed or uploaded, when there is one. */
  readonly file?: string;
}

export interface PushOptions {
  /** "ORG/NAME" or "USER/NAME". */
  readonly repo: string;
  /** Folder-relative path → bytes (an export: README.md, model.safetensors, onnx/…). */
  readonly files: ReadonlyMap<string, Uint8Array>;
  /** A Hugging Face access token with write access (hf_…). Used for this push only. */
  readonly token: string | undefined;
  readonly private?: boolean;
  /** Push a new commit to a repo that already exists (default: refuse, so nobody overwrites a repo by a typo). */
  readonly updateExisting?: boolean;
  /** The Hub, or a mirror / stand-in (default https://huggingface.co). */
  readonly hubUrl?: string;
  readonly commitTitle?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: PushProgress) => void;
}

export interface PushResult {
  /** The repo's page, e.g. https://huggingface.co/org/name. */
  readonly url: string;
  readonly commitOid: string;
  readonly commitUrl: string;
  /** Whether this push created the repo. */
  readonly created: boolean;
  readonly files: number;
  readonly bytes: number;
}

export type PushErrorCode = 'no-token' | 'bad-token' | 'bad-name' | 'exists' | 'forbidden' | 'network' | 'cancelled' | 'incomplete' | 'hub';

export class HubPushError extends Error {
  override readonly name = 'HubPushError';
  constructor(
    readonly code: PushErrorCode,
    message: string,
    /** The push created the repo before it failed: it exists, with no files from this push. */
    readonly repoCreated = false,
  ) {
    super(message);
  }
}

/** The Hub's rule for repo names: namespace/name, letters, digits, "-", "_", "." (no "--" or "..", no leading/trailing "-" or "."), at most 96 characters. */
export function checkRepoName(repo: string): string | null {
  const parts = repo.split('/');
  if (parts.length !== 2 || parts.some((p) => p.length === 0)) return `"${repo}" is not a repo name: write it as ORG/NAME (or USER/NAME)`;
  for (const p of parts) {
    if (p.length > 96) return `"${p}" is longer than 96 characters`;
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(p) || /[-.]$/.test(p) || p.includes('--') || p.includes('..')) {
      return `"${p}" in "${repo}" may only hold letters, digits, "-", "_" and "." (not at either end, no "--" or "..")`;
    }
  }
  return null;
}

function isAbort(e: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true || (e instanceof Error && e.name === 'AbortError') || (e instanceof DOMException && e.name === 'AbortError');
}

/** A connection that broke (refused, reset, cut mid-body): fetch says TypeError, XHR says "network". */
function isNetwork(e: unknown): boolean {
  return e instanceof TypeError || (e instanceof Error && e.name === 'NetworkError');
}

/** The Hub's own message without the URL trailer the library appends (it may carry the repo but never the token). */
function hubMessage(e: HubApiError): string {
  return e.message.replace(/\. URL: .*$/s, '').trim();
}

/**
 * The fetch the library calls, with the push's AbortSignal on every request and byte progress on
 * uploads: XMLHttpRequest where there is one (browser workers: fetch cannot report upload progress
 * there), a counted stream with its Content-Length elsewhere (Node; storage behind the Hub's LFS
 * URLs refuses chunked uploads).
 */
function pushFetch(signal: AbortSignal, onBytes: (file: string, sent: number) => void, fileOfUrl: (url: string) => string | undefined): typeof fetch {
  const run = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const merged: RequestInit = { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal };
    const body = init?.body;
    const file = fileOfUrl(url);
    if (init?.method !== 'PUT' || file === undefined || !(body instanceof Blob || body instanceof ArrayBuffer || ArrayBuffer.isView(body))) return fetch(input, merged);
    const blob = body instanceof Blob ? body : new Blob([body as ArrayBuffer]);
    if (typeof XMLHttpRequest !== 'undefined') return xhrPut(url, blob, merged, (sent) => onBytes(file, sent));
    // Slices of 256 KiB: progress moves as the socket takes them (a Blob's own stream may come as one chunk).
    let sent = 0;
    const counted = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent >= blob.size) return controller.close();
        const chunk = new Uint8Array(await blob.slice(sent, sent + UPLOAD_SLICE).arrayBuffer());
        sent += chunk.byteLength;
        onBytes(file, sent);
        controller.enqueue(chunk);
      },
    });
    const headers = new Headers(init.headers);
    headers.set('content-length', String(blob.size));
    return fetch(url, { ...merged, headers, body: counted, duplex: 'half' } as RequestInit);
  };
  return run as typeof fetch;
}

function xhrPut(url: string, body: Blob, init: RequestInit, onSent: (sent: number) => void): Promise<Response> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url, true);
    new Headers(init.headers).forEach((v, k) => xhr.setRequestHeader(k, v));
    xhr.responseType = 'arraybuffer';
    xhr.upload.onprogress = (e) => onSent(e.loaded);
    xhr.onload = () => {
      const headers = new Headers();
      for (const line of xhr.getAllResponseHeaders().trim().split(/[\r\n]+/)) {
        const at = line.indexOf(':');
        if (at > 0) headers.append(line.slice(0, at).trim(), line.slice(at + 1).trim());
      }
      resolve(new Response(xhr.status === 204 ? null : (xhr.response as ArrayBuffer), { status: xhr.status, statusText: xhr.statusText, headers }));
    };
    // Same error class fetch gives, so one check covers both.
    xhr.onerror = () => reject(new TypeError('network error while uploading'));
    xhr.onabort = () => reject(new DOMException('the push was cancelled', 'AbortError'));
    const signal = init.signal;
    if (signal?.aborted) return reject(new DOMException('the push was cancelled', 'AbortError'));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}

export async function pushToHub(options: PushOptions): Promise<PushResult> {
  const hubUrl = (options.hubUrl ?? DEFAULT_HUB_URL).replace(/\/+$/, '');
  const host = (() => {
    try {
      return new URL(hubUrl).host;
    } catch {
      throw new HubPushError('hub', `"${hubUrl}" is not a URL for the Hub`);
    }
  })();
  const token = options.token?.trim();
  if (!token) {
    throw new HubPushError('no-token', 'pushing to the Hub needs an access token with write access (create one at https://huggingface.co/settings/tokens)');
  }
  if (!token.startsWith('hf_')) throw new HubPushError('bad-token', 'that is not a Hugging Face access token (they start with "hf_")');
  const nameProblem = checkRepoName(options.repo);
  if (nameProblem) throw new HubPushError('bad-name', nameProblem);
  if (options.files.size === 0) throw new HubPushError('hub', 'there are no files to push');
  const repo = options.repo;
  const controller = new AbortController();
  const outer = options.signal;
  const onOuterAbort = () => controller.abort();
  if (outer?.aborted) controller.abort();
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  const signal = controller.signal;

  const sizes = new Map([...options.files].map(([p, b]) => [p, b.byteLength]));
  const bytesTotal = [...sizes.values()].reduce((a, b) => a + b, 0);
  const sentPerFile = new Map<string, number>();
  let phase: PushPhase = 'checking';
  const sentNow = () => [...sentPerFile.values()].reduce((a, b) => a + b, 0);
  const report = (file?: string) => options.onProgress?.({ phase, bytesSent: sentNow(), bytesTotal, ...(file ? { file } : {}) });
  // LFS upload URLs name the object, not the file: map them back through the sha256 the batch call sent.
  const hrefToFile = new Map<string, string>();
  const onBytes = (file: string, sent: number) => {
    sentPerFile.set(file, Math.min(sent, sizes.get(file) ?? sent));
    report(file);
  };
  const baseFetch = pushFetch(signal, onBytes, (url) => hrefToFile.get(url));
  // Reads the LFS batch answers as they come back, to learn which upload URL carries which file.
  const shaToFile = new Map<string, string>();
  const fetchImpl = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const res = await baseFetch(input, init);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (url.endsWith('.git/info/lfs/objects/batch') && res.ok) {
      const json = (await res.clone().json()) as { objects?: { oid: string; actions?: { upload?: { href: string } } }[] };
      for (const o of json.objects ?? []) {
        const file = shaToFile.get(o.oid);
        if (file && o.actions?.upload?.href) hrefToFile.set(o.actions.upload.href, file);
        if (file && !o.actions?.upload) onBytes(file, sizes.get(file) ?? 0); // the Hub has it already
      }
    }
    return res;
  }) as typeof fetch;

  let created = false;
  const fail = (e: unknown, during: string): HubPushError => {
    if (e instanceof HubPushError) return e;
    const nothing = created ? `nothing was committed: ${repo} was created and holds no files from this push` : 'nothing was committed';
    if (isAbort(e, signal)) return new HubPushError('cancelled', `the push was cancelled during ${during}; ${nothing}`, created);
    if (e instanceof HubApiError) {
      const msg = hubMessage(e);
      if (e.statusCode === 401) return new HubPushError('bad-token', `${host} refused the token (HTTP 401: ${msg}); check it and that it is a write token`, created);
      if (e.statusCode === 403) return new HubPushError('forbidden', `${host} does not let this token write to ${repo} (HTTP 403: ${msg}); ${nothing}`, created);
      if (e.statusCode === 409) return new HubPushError('exists', `${repo} already exists on ${host} (${msg})`, created);
      return new HubPushError('hub', `${host} answered HTTP ${e.statusCode} during ${during}: ${msg}; ${nothing}`, created);
    }
    if (isNetwork(e)) {
      return new HubPushError('network', `the connection to ${host} broke during ${during} (${(e as Error).message}); ${nothing}. Push again when the network is back`, created);
    }
    return new HubPushError('hub', `${during} failed: ${e instanceof Error ? e.message : String(e)}; ${nothing}`, created);
  };

  try {
    report();
    // 1. The token, before anything is created: a 401 here is the clearest message there can be.
    try {
      await whoAmI({ accessToken: token, hubUrl, fetch: fetchImpl });
    } catch (e) {
      throw fail(e, 'the token check');
    }
    // 2. The repo: refuse to overwrite one that exists unless asked to.
    let exists: boolean;
    try {
      exists = await repoExists({ repo: { type: 'model', name: repo }, accessToken: token, hubUrl, fetch: fetchImpl });
    } catch (e) {
      throw fail(e, 'the repo check');
    }
    if (exists && !options.updateExisting) {
      throw new HubPushError('exists', `${repo} already exists on ${host}: choose another name, or add the files to it as a new commit (update the existing repo)`);
    }
    if (!exists) {
      phase = 'creating';
      report();
      try {
        await createRepo({ repo: { type: 'model', name: repo }, accessToken: token, hubUrl, fetch: fetchImpl, visibility: options.private ? 'private' : 'public' });
        created = true;
      } catch (e) {
        // Made by someone else between the check and now: a collision, whatever the updateExisting flag says.
        if (e instanceof HubApiError && e.statusCode === 409) throw new HubPushError('exists', `${repo} was created on ${host} by someone else just now: choose another name`);
        throw fail(e, 'creating the repo');
      }
    }
    // 3. The commit: the library uploads large files first (LFS) and commits all of them at once.
    const operations: CommitOperation[] = [...options.files].map(([path, bytes]) => ({
      operation: 'addOrUpdate', path, content: new Blob([bytes as Uint8Array<ArrayBuffer>]),
    }));
    // sha256 of every file, as the library sends them in the LFS batch call for the files the Hub wants in LFS.
    for (const [path, bytes] of options.files) shaToFile.set(await sha256Hex(bytes), path);
    const iter = commitIter({
      repo: { type: 'model', name: repo }, accessToken: token, hubUrl, fetch: fetchImpl, operations, abortSignal: signal,
      title: options.commitTitle ?? 'Upload model from Embedding Studio',
    });
    let output: Awaited<ReturnType<typeof iter.next>>;
    for (;;) {
      try {
        output = await iter.next();
      } catch (e) {
        throw fail(e, phase === 'committing' ? 'the commit' : 'the upload');
      }
      if (output.done) break;
      const ev = output.value;
      if (ev.event === 'phase') {
        phase = ev.phase === 'preuploading' ? 'hashing' : ev.phase === 'uploadingLargeFiles' ? 'uploading' : 'committing';
        report();
      } else if (ev.state === 'hashing') {
        report(ev.path);
      }
    }
    const commit = output.value;
    if (!commit) throw new HubPushError('hub', `${host} answered the commit without a commit id`);
    for (const [path, size] of sizes) sentPerFile.set(path, size);
    // 4. What the repo now holds, against what was sent: a commit that lost a file is not "done".
    phase = 'verifying';
    report();
    const held = new Map<string, number>();
    try {
      for await (const f of listFiles({ repo: { type: 'model', name: repo }, recursive: true, accessToken: token, hubUrl, fetch: fetchImpl })) {
        if (f.type === 'file') held.set(f.path, f.lfs?.size ?? f.size);
      }
    } catch (e) {
      throw fail(e, 'checking the pushed files');
    }
    const wrong = [...sizes].filter(([p, s]) => held.get(p) !== s).map(([p, s]) => `${p} (${held.has(p) ? `${held.get(p)} bytes, sent ${s}` : 'missing'})`);
    if (wrong.length > 0) throw new HubPushError('incomplete', `the commit landed but ${repo} does not hold what was sent: ${wrong.join(', ')}`);
    phase = 'done';
    report();
    return { url: `${hubUrl}/${repo}`, commitOid: commit.commit.oid, commitUrl: commit.commit.url, created, files: sizes.size, bytes: bytesTotal };
  } finally {
    outer?.removeEventListener('abort', onOuterAbort);
  }
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
