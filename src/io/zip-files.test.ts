import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { zipSync, type Zippable } from 'fflate';
import { describe, expect, it } from 'vitest';
import { haveFixtures } from '../../test/support/fixtures.ts';
import { TINY_BERT_MODEL_DIR } from '../../test/support/tiny-bert.ts';
import { CpuBackend } from '../engine/cpu/cpu-backend.ts';
import { loadSentenceModel } from './load-model.ts';
import { folderFiles } from './folder-files.ts';
import { DEFAULT_MAX_ZIP_BYTES, ZipError, zipFiles } from './zip-files.ts';

// Skips with a message, or fails under EMBEDDING_STUDIO_REQUIRE_FIXTURES=1.
const HAVE_MODEL = haveFixtures(path.join(TINY_BERT_MODEL_DIR, 'model.safetensors'), 'the zip tests on the tiny-bert model');

/** Every file under dir, keyed by its relative path (with "/" separators) under `prefix`. */
async function folderEntries(dir: string, prefix = ''): Promise<Zippable> {
  const out: Zippable = {};
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const full = path.join(e.parentPath, e.name);
    out[prefix + path.relative(dir, full).split(path.sep).join('/')] = new Uint8Array(await readFile(full));
  }
  return out;
}

async function embeddings(files: Parameters<typeof loadSentenceModel>[0]): Promise<number[]> {
  const backend = new CpuBackend();
  try {
    const { model } = await loadSentenceModel(files, backend);
    return Array.from(await model.encode(['A man is eating food.', 'zip files']));
  } finally {
    backend.destroy();
  }
}

describe.skipIf(!HAVE_MODEL)('zipFiles on the tiny-bert folder', () => {
  it('loads a zip with the files at its root', async () => {
    const zip = zipSync(await folderEntries(TINY_BERT_MODEL_DIR));
    const files = await zipFiles(zip, { name: 'tiny.zip' });
    expect(files.root).toBe('');
    expect(files.paths).toContain('1_Pooling/config.json');
    expect(await files.readBytes('model.safetensors')).toEqual(await folderFiles(TINY_BERT_MODEL_DIR).readBytes('model.safetensors'));
    expect(await embeddings(files)).toEqual(await embeddings(folderFiles(TINY_BERT_MODEL_DIR)));
  });

  it('detects and strips a single top-level folder, ignoring macOS junk', async () => {
    const entries = await folderEntries(TINY_BERT_MODEL_DIR, 'tiny-bert/');
    entries['tiny-bert/.DS_Store'] = new Uint8Array([1]);
    entries['__MACOSX/tiny-bert/._config.json'] = new Uint8Array([2]);
    const blob = new Blob([zipSync(entries)]);
    const files = await zipFiles(blob);
    expect(files.name).toBe('model.zip');
    expect(files.root).toBe('tiny-bert');
    expect(await files.readText('config.json')).toBe(await folderFiles(TINY_BERT_MODEL_DIR).readText('config.json'));
    expect(await files.readText('.DS_Store')).toBeNull();
    expect(await embeddings(files)).toEqual(await embeddings(folderFiles(TINY_BERT_MODEL_DIR)));
  });

  it('refuses a model over a configured size bound', async () => {
    const zip = zipSync(await folderEntries(TINY_BERT_MODEL_DIR));
    await expect(zipFiles(zip, { name: 'tiny.zip', maxTotalBytes: 100_000 })).rejects.toThrow(
      /tiny\.zip: the archive declares .* uncompressed, over the 100000 bytes limit/,
    );
  });
});

describe('zipFiles safety', () => {
  it('rejects entries that escape the folder', async () => {
    for (const evil of ['../evil', 'model/../../evil', '/etc/passwd', 'C:/Windows/evil', '..\\evil']) {
      const zip = zipSync({ 'config.json': new Uint8Array([123, 125]), [evil]: new Uint8Array([1, 2, 3]) });
      const e = await zipFiles(zip, { name: 'evil.zip' }).catch((x: unknown) => x);
      expect(e, evil).toBeInstanceOf(ZipError);
      expect((e as Error).message).toMatch(/^evil\.zip: entry ".*" (is an absolute path|climbs out of the folder with "\.\."); refusing to open this archive$/);
    }
  });

  it('rejects a declared size over 2 GiB before inflating anything', async () => {
    const zip = zipSync({ 'model.safetensors': new Uint8Array(1000) });
    // Patch the central directory's "uncompressed size" (offset 24) to ~4 GiB. Inflating would
    // allocate that much up front; the check must fire before.
    const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
    let cd = -1;
    for (let i = zip.length - 22; i >= 0; i--) if (view.getUint32(i, true) === 0x02014b50) cd = i;
    expect(cd).toBeGreaterThan(0);
    view.setUint32(cd + 24, 0xfffffff0, true);
    const e = await zipFiles(zip, { name: 'bomb.zip' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ZipError);
    expect((e as Error).message).toMatch(/^bomb\.zip: the archive declares 4 GiB uncompressed, over the 2 GiB limit/);
    expect(DEFAULT_MAX_ZIP_BYTES).toBe(2 * 1024 ** 3);
  });

  it('says when the data is not a zip, or holds nothing', async () => {
    await expect(zipFiles(new TextEncoder().encode('definitely not a zip'), { name: 'x.zip' })).rejects.toThrow(/x\.zip: not a readable zip archive/);
    await expect(zipFiles(zipSync({}), { name: 'empty.zip' })).rejects.toThrow(/empty\.zip: the archive contains no files/);
  });
});
