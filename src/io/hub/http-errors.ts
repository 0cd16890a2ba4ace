// Turns failed requests into HubErrors that say what happened and what to do about it.
// huggingface.co adds X-Error-Code (RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo);
// mirrors and simple servers do not, so the status code alone must also give a useful answer.

import { HubError } from './errors.ts';
import type { HubLocation } from './location.ts';

export interface RequestContext {
  readonly loc: HubLocation;
  readonly file: string;
  readonly hasToken: boolean;
}

const MIRROR_HINT = 'behind a firewall, or where huggingface.co is blocked, set the endpoint to a mirror such as https://hf-mirror.com';

export function repoNotFound(ctx: RequestContext, status?: number): HubError {
  return new HubError('repo-not-found', `model "${ctx.loc.repo}" not found on ${ctx.loc.endpoint} (check the id, or set a token for private models)`, {
    file: ctx.file,
    status,
  });
}

export function fileMissing(ctx: RequestContext, what = `file "${ctx.file}"`, status?: number): HubError {
  return new HubError('file-missing', `model "${ctx.loc.repo}" (revision ${ctx.loc.revision}) has no ${what} on ${ctx.loc.endpoint}`, {
    file: ctx.file,
    status,
  });
}

/** HTTP status ≥ 400 (or an unexpected 3xx) → HubError. */
export function httpError(ctx: RequestContext, res: Response): HubError {
  const { status } = res;
  const code = res.headers.get('x-error-code');
  const { repo, endpoint, revision } = ctx.loc;
  const d = { file: ctx.file, status };
  if (code === 'RepoNotFound') return repoNotFound(ctx, status);
  if (code === 'RevisionNotFound') {
    return new HubError('revision-not-found', `model "${repo}" has no revision "${revision}" on ${endpoint} (check the branch, tag or commit)`, d);
  }
  if (code === 'GatedRepo') {
    return new HubError(
      'forbidden',
      `model "${repo}" is gated: accept its conditions at ${endpoint}/${repo}, then use an access token of that account (HTTP ${status})`,
      d,
    );
  }
  if (code === 'EntryNotFound' || status === 404) return fileMissing(ctx, `file "${ctx.file}"`, status);
  if (status === 401) {
    return new HubError(
      'unauthorized',
      ctx.hasToken
        ? `${endpoint} rejected the access token (HTTP 401) for model "${repo}": check that it is valid and not expired`
        : `${endpoint} requires an access token for model "${repo}" (HTTP 401): it may be private or gated; set a token`,
      d,
    );
  }
  if (status === 403) {
    return new HubError(
      'forbidden',
      ctx.hasToken
        ? `the access token has no permission to read model "${repo}" on ${endpoint} (HTTP 403): use a token with read access to it`
        : `${endpoint} refused access to model "${repo}" (HTTP 403): set an access token with read access`,
      d,
    );
  }
  if (status === 429) return new HubError('http', `${endpoint} is rate-limiting requests (HTTP 429): wait a minute, or set an access token`, d);
  return new HubError('http', `${endpoint} answered HTTP ${status}${res.statusText ? ` ${res.statusText}` : ''} for ${repo}/${ctx.file}`, d);
}

/** The errno-like code buried in fetch's error chain (Node: TypeError → cause → [AggregateError]). */
function networkCode(e: unknown): string | null {
  for (let cur: unknown = e, depth = 0; cur && depth < 5; depth++) {
    const o = cur as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof o.code === 'string') return o.code;
    if (Array.isArray(o.errors) && o.errors.length > 0) cur = o.errors[0];
    else cur = o.cause;
  }
  return null;
}

/** fetch() rejected before any response: DNS, refused connection, TLS, CORS, offline. */
export function networkError(ctx: RequestContext, e: unknown): HubError {
  const code = networkCode(e);
  const offline = typeof navigator !== 'undefined' && 'onLine' in navigator && navigator.onLine === false;
  const why = offline ? 'the browser is offline' : code ?? (e as Error)?.message ?? String(e);
  return new HubError(
    'network',
    `cannot reach ${ctx.loc.endpoint} (${why}) while fetching ${ctx.file}: check your network connection; ${MIRROR_HINT}; ` +
      'or open a model folder or .zip instead',
    { file: ctx.file, cause: e },
  );
}

export function interrupted(ctx: RequestContext, loaded: number, total: number | null, cause?: unknown): HubError {
  const of = total === null ? '' : ` of ${total}`;
  return new HubError(
    'interrupted',
    `the download of ${ctx.loc.repo}/${ctx.file} from ${ctx.loc.endpoint} was interrupted after ${loaded}${of} bytes; ` +
      'the partial file is kept: run the download again to resume it',
    { file: ctx.file, cause },
  );
}
