// Where a model lives on a Hub (endpoint + repo + revision) and how its URLs and cache keys are
// spelled. Everything a user typed is validated here, once, before any request is made or any
// cache path is built: repo ids and module paths end up in file-system paths.

import { HubError } from './errors.ts';

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';
export const DEFAULT_HUB_MODEL = 'sentence-transformers/all-MiniLM-L6-v2';
export const DEFAULT_HUB_REVISION = 'main';

export interface HubLocation {
  /** Origin plus optional path prefix, no trailing slash (https://hf-mirror.com). */
  readonly endpoint: string;
  /** "org/name" (or a legacy "name" without org). */
  readonly repo: string;
  readonly revision: string;
  /** Cache key prefix: <endpoint-host>/<repo>/<revision>; every segment is safe as a folder name. */
  readonly cachePrefix: string;
}

// The Hub's own rule: letters, digits, '-', '_', '.'; no "--" or ".." anywhere; ≤ 96 characters.
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;

function checkName(part: string, repo: string): void {
  if (!NAME.test(part) || part.includes('..') || part.includes('--') || part.endsWith('.')) {
    throw new HubError('invalid-argument', `"${repo}" is not a valid model id (expected "organisation/name", e.g. ${DEFAULT_HUB_MODEL})`);
  }
}

export function normalizeRepoId(repo: string): string {
  const id = repo.trim();
  const parts = id.split('/');
  if (parts.length < 1 || parts.length > 2) {
    throw new HubError('invalid-argument', `"${repo}" is not a valid model id (expected "organisation/name", e.g. ${DEFAULT_HUB_MODEL})`);
  }
  for (const p of parts) checkName(p, repo);
  return id;
}

export function normalizeEndpoint(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint.trim());
  } catch {
    throw new HubError('invalid-argument', `endpoint "${endpoint}" is not a URL (expected e.g. ${DEFAULT_HUB_ENDPOINT} or https://hf-mirror.com)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new HubError('invalid-argument', `endpoint "${endpoint}" must be an http(s) URL`);
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new HubError('invalid-argument', `endpoint "${endpoint}" must not carry a query, fragment or credentials (pass the token separately)`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

export function normalizeRevision(revision: string): string {
  const r = revision.trim();
  // Branches, tags, commit hashes and refs/pr/N; never a path that could climb out of the cache.
  if (!/^[A-Za-z0-9._\-/]{1,255}$/.test(r) || r.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw new HubError('invalid-argument', `revision "${revision}" is not a valid branch, tag or commit`);
  }
  return r;
}

/**
 * A file path inside a repo ("1_Pooling/config.json"). Module paths come from the repo's own
 * modules.json, i.e. from the network, so "..", absolute paths and backslashes are refused.
 */
export function normalizeRepoPath(path: string): string {
  const parts = path.replace(/^\.\//, '').split('/').filter((s) => s !== '' && s !== '.');
  const bad = path.startsWith('/') || path.includes('\\') || parts.length === 0 || parts.some((s) => s === '..' || s.includes(':'));
  if (bad) throw new HubError('invalid-argument', `"${path}" is not a valid file path inside a model repository`);
  return parts.join('/');
}

export function hubLocation(repo: string, endpoint: string, revision: string): HubLocation {
  const ep = normalizeEndpoint(endpoint);
  const id = normalizeRepoId(repo);
  const rev = normalizeRevision(revision);
  const url = new URL(ep);
  // host:port → host_port (':' is not allowed in Windows folder names); a mirror's path prefix
  // is folded in so two mirrors on one host never share files.
  const hostDir = (url.host + url.pathname.replace(/\/+$/, '').replaceAll('/', '_')).replaceAll(':', '_');
  return { endpoint: ep, repo: id, revision: rev, cachePrefix: `${hostDir}/${id}/${rev.replaceAll('/', '--')}` };
}

const enc = (p: string) => p.split('/').map(encodeURIComponent).join('/');

/** {endpoint}/{repo}/resolve/{revision}/{path}, the layout huggingface.co and its mirrors serve. */
export function resolveUrl(loc: HubLocation, path: string): string {
  return `${loc.endpoint}/${enc(loc.repo)}/resolve/${encodeURIComponent(loc.revision)}/${enc(path)}`;
}

export function cacheKey(loc: HubLocation, path: string): string {
  return `${loc.cachePrefix}/${normalizeRepoPath(path)}`;
}
