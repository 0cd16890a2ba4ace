import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHubUploadServer, type HubUploadServer } from '../../../test/support/hub-upload-server.ts';
import { checkRepoName, HubPushError, pushToHub, type PushOptions, type PushProgress } from './push.ts';

const TOKEN = 'hf_standin_write_token_1234';
const READ_TOKEN = 'hf_standin_read_token_5678';

let hub: HubUploadServer;
beforeAll(async () => {
  hub = await startHubUploadServer({ tokens: { [TOKEN]: { name: 'alice', orgs: ['acme'] }, [READ_TOKEN]: { name: 'alice', readOnly: true } } });
});
afterAll(() => hub.close());
beforeEach(() => {
  hub.log.length = 0;
});

const enc = new TextEncoder();
function exportFiles(): Map<string, Uint8Array> {
  return new Map<string, Uint8Array>([
    ['README.md', enc.encode('---\nlibrary_name: sentence-transformers\n---\n# card\n')],
    ['config.json', enc.encode('{"model_type":"bert"}\n')],
    ['1_Pooling/config.json', enc.encode('{"pooling_mode_mean_tokens":true}\n')],
    ['model.safetensors', new Uint8Array(randomBytes(3 * 1024 * 1024 + 17))],
    ['onnx/model.onnx', new Uint8Array(randomBytes(256 * 1024))],
  ]);
}

async function push(options: Partial<PushOptions> & { repo: string }): Promise<PushResult> {
  return pushToHub({ files: exportFiles(), token: TOKEN, hubUrl: hub.endpoint, ...options });
}
type PushResult = Awaited<ReturnType<typeof pushToHub>>;

async function pushError(options: Partial<PushOptions> & { repo: string }): Promise<HubPushError> {
  try {
    await push(options);
  } catch (e) {
    expect(e).toBeInstanceOf(HubPushError);
    return e as HubPushError;
  }
  throw new Error('the push succeeded');
}

describe('pushing an export to the Hub (local stand-in, the real @huggingface/hub client)', () => {
  it('creates the repo, uploads weights through LFS with their length, commits every file once, and reports bytes as they go', async () => {
    const files = exportFiles();
    const events: PushProgress[] = [];
    const r = await pushToHub({ repo: 'acme/first-model', files, token: TOKEN, hubUrl: hub.endpoint, private: true, onProgress: (p) => events.push(p) });
    expect(r).toMatchObject({ url: `${hub.endpoint}/acme/first-model`, created: true, files: 5 });
    const repo = hub.repos.get('acme/first-model')!;
    expect(repo.private).toBe(true);
    expect(repo.commits).toHaveLength(1);
    expect(r.commitOid).toBe(repo.commits[0].oid);
    for (const [path, bytes] of files) expect(Buffer.compare(repo.files.get(path)!.bytes, Buffer.from(bytes)), path).toBe(0);
    expect([...repo.files.keys()].sort()).toEqual([...files.keys()].sort());
    // Weights went the LFS way, small files inside the commit.
    expect(repo.files.get('model.safetensors')!.lfsOid).toBeDefined();
    expect(repo.files.get('README.md')!.lfsOid).toBeUndefined();
    const puts = hub.log.filter((l) => l.method === 'PUT');
    expect(puts).toHaveLength(2);
    expect(puts.every((l) => l.bodyLength !== 'chunked' && l.status === 200 && l.authorization === null)).toBe(true);
    // Byte progress: never backwards, in between steps for the 3 MB file, and all of it at the end.
    const total = [...files.values()].reduce((a, b) => a + b.byteLength, 0);
    const sent = events.map((e) => e.bytesSent);
    expect(sent.every((v, i) => i === 0 || v >= sent[i - 1])).toBe(true);
    expect(events.filter((e) => e.phase === 'uploading' && e.file === 'model.safetensors' && e.bytesSent > 0 && e.bytesSent < total).length).toBeGreaterThan(1);
    expect(events.at(-1)).toEqual({ phase: 'done', bytesSent: total, bytesTotal: total });
    expect(events.map((e) => e.phase)).toEqual(expect.arrayContaining(['checking', 'creating', 'hashing', 'uploading', 'committing', 'verifying', 'done']));
  });

  it('says what is wrong with a missing, malformed, refused or read-only token, without echoing it', async () => {
    expect((await pushError({ repo: 'alice/m', token: undefined })).code).toBe('no-token');
    expect((await pushError({ repo: 'alice/m', token: '   ' })).message).toMatch(/needs an access token with write access/);
    expect((await pushError({ repo: 'alice/m', token: 'ghp_notahftoken' })).message).toMatch(/start with "hf_"/);
    expect(hub.log).toHaveLength(0); // refused before any request
    const bad = await pushError({ repo: 'alice/m', token: 'hf_wrong_token_0000' });
    expect(bad.code).toBe('bad-token');
    expect(bad.message).toMatch(/refused the token \(HTTP 401: Invalid credentials/);
    expect(bad.message).not.toContain('hf_wrong_token_0000');
    const ro = await pushError({ repo: 'alice/read-only-push', token: READ_TOKEN });
    expect(ro.code).toBe('forbidden');
    expect(ro.message).toMatch(/does not let this token write to alice\/read-only-push \(HTTP 403/);
    expect(hub.repos.has('alice/read-only-push')).toBe(false);
    const other = await pushError({ repo: 'someone-else/model' });
    expect(other.code).toBe('forbidden');
  });

  it('checks the repo name the way the Hub does', async () => {
    expect(checkRepoName('acme/model-v1.2_x')).toBeNull();
    for (const bad of ['model', 'a/b/c', '/x', 'acme/-x', 'acme/x.', 'acme/a--b', 'acme/a..b', 'acme/white space', `acme/${'x'.repeat(97)}`]) {
      expect(checkRepoName(bad), bad).not.toBeNull();
    }
    expect((await pushError({ repo: 'acme/has space' })).code).toBe('bad-name');
  });

  it('refuses a name that is taken unless asked to add a commit to it', async () => {
    hub.addRepo('acme/taken', { owner: 'acme', files: new Map([['keep.txt', { bytes: Buffer.from('theirs') }]]) });
    const e = await pushError({ repo: 'acme/taken' });
    expect(e.code).toBe('exists');
    expect(e.message).toMatch(/acme\/taken already exists on 127\.0\.0\.1:\d+: choose another name/);
    expect(hub.log.some((l) => l.method === 'PUT' || l.path.includes('/commit/'))).toBe(false);
    const r = await push({ repo: 'acme/taken', updateExisting: true });
    expect(r.created).toBe(false);
    const repo = hub.repos.get('acme/taken')!;
    expect(repo.files.get('keep.txt')!.bytes.toString()).toBe('theirs');
    expect(repo.files.has('model.safetensors')).toBe(true);
  });

  it('a connection cut mid-upload fails clearly with nothing committed, and a second push completes', async () => {
    hub.cutUploadAfter('*', 512 * 1024);
    const e = await pushError({ repo: 'alice/cut-model' });
    expect(e.code).toBe('network');
    expect(e.repoCreated).toBe(true);
    expect(e.message).toMatch(/the connection to 127\.0\.0\.1:\d+ broke during the upload/);
    expect(e.message).toMatch(/nothing was committed: alice\/cut-model was created and holds no files from this push/);
    const repo = hub.repos.get('alice/cut-model')!;
    expect(repo.commits).toHaveLength(0);
    expect(repo.files.size).toBe(0);
    expect(hub.log.some((l) => l.method === 'PUT' && l.status === 0)).toBe(true);
    const r = await push({ repo: 'alice/cut-model', updateExisting: true });
    expect(r.created).toBe(false);
    expect(hub.repos.get('alice/cut-model')!.files.size).toBe(5);
  });

  it('cancels during the upload: nothing is committed', async () => {
    const controller = new AbortController();
    let aborted = false;
    const e = await pushError({
      repo: 'alice/cancelled',
      signal: controller.signal,
      onProgress: (p) => {
        if (!aborted && p.phase === 'uploading' && p.bytesSent > 0) {
          aborted = true;
          controller.abort();
        }
      },
    });
    expect(e.code).toBe('cancelled');
    expect(e.message).toMatch(/the push was cancelled during the upload; nothing was committed/);
    expect(hub.repos.get('alice/cancelled')!.commits).toHaveLength(0);
  });

  it('a dead Hub is a network error, not a crash', async () => {
    const e = await pushError({ repo: 'alice/m', hubUrl: 'http://127.0.0.1:9' });
    expect(e.code).toBe('network');
    expect(e.message).toMatch(/broke during the token check/);
  });
});
