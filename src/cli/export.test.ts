import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../engine/cpu/cpu-backend.ts';
import { folderFiles } from '../io/folder-files.ts';
import { RUN_RECORD_FILE } from '../io/run-record.ts';
import { loadSentenceModel } from '../io/load-model.ts';
import { startHubUploadServer, type HubUploadServer } from '../../test/support/hub-upload-server.ts';
import { HAVE_FIXTURES, SKIP_REASON, TINY_BERT_MODEL_DIR } from '../../test/support/tiny-bert.ts';
import { cli } from '../../test/support/run-cli.ts';

const SAMPLE = path.resolve('public/samples/support-faq.jsonl');
const TOKEN = 'hf_cli_test_token_0001';
if (!HAVE_FIXTURES) console.warn(SKIP_REASON);


describe('export: usage errors', () => {
  it('needs somewhere to put the export, and flags that belong together', async () => {
    for (const [argv, message] of [
      [['export', '--model', 'm'], /give --out DIR, --push-to-hub ORG\/NAME or --recipe DIR/],
      [['export', '--model', 'm', '--out', 'o', '--private'], /--private goes with --push-to-hub/],
      [['export', '--model', 'm', '--out', 'o', '--data', 'd'], /--data goes with --recipe/],
      [['export', '--model', 'm', '--out', 'o', '--onnx', 'fp64'], /--onnx must be a comma-separated list of fp32, fp16, int8 \(or none\), got "fp64"/],
      [['export', '--model', '/nonexistent/model', '--out', 'o'], /--model: \/nonexistent\/model is not a folder/],
    ] as const) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
  it('names the missing token variable', async () => {
    delete process.env.ES_TEST_NO_TOKEN;
    const r = await cli('export', '--model', 'm', '--push-to-hub', 'a/b', '--token-env', 'ES_TEST_NO_TOKEN');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--token-env ES_TEST_NO_TOKEN: the environment variable ES_TEST_NO_TOKEN is not set/);
  });
});

describe.skipIf(!HAVE_FIXTURES)('export on a model trained by the CLI (tiny-bert)', () => {
  let dir: string;
  let trained: string;
  let hub: HubUploadServer;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'es-export-'));
    trained = path.join(dir, 'trained');
    const r = await cli('train', '--model', TINY_BERT_MODEL_DIR, '--data', SAMPLE, '--loss', 'mnrl', '--steps', '2', '--batch-size', '8', '--lr', '1e-3', '--prompt', 'query: ', '--backend', 'cpu', '--out', trained);
    expect(r.code, r.stderr).toBe(0);
    hub = await startHubUploadServer({ tokens: { [TOKEN]: { name: 'alice' } } });
  }, 120_000);
  afterAll(async () => {
    await hub?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('train leaves a model card with its Training Details and the run record', async () => {
    const card = await readFile(path.join(trained, 'README.md'), 'utf8');
    expect(card).toMatch(/^---\n/);
    expect(card).toContain('## Training Details');
    expect(card).toContain('- Loss: <code>MultipleNegativesRankingLoss</code>');
    expect(card).toContain('- `learning_rate`: 0.001');
    expect(card).toContain('- Steps: 2');
    const record = JSON.parse(await readFile(path.join(trained, RUN_RECORD_FILE), 'utf8')) as { steps: number; losses: unknown[]; columns: string[]; data: string };
    expect(record).toMatchObject({ steps: 2, columns: ['anchor', 'positive', 'negative'], data: SAMPLE });
    expect(record.losses).toHaveLength(2);
  });

  it('writes the chosen ONNX files and the card atomically, and checks them by loading them back', async () => {
    const out = path.join(dir, 'exported');
    const r = await cli('export', '--model', trained, '--out', out, '--onnx', 'fp32,int8', '--base-model', 'sentence-transformers/all-MiniLM-L6-v2');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/weights read back bit for bit; fp32 ONNX max \|Δ\| [\d.e+-]+, int8 ONNX max \|Δ\| [\d.e+-]+ \(onnxruntime-node\)/);
    expect((await readdir(path.join(out, 'onnx'))).sort()).toEqual(['model.onnx', 'model_quantized.onnx']);
    expect((await readdir(dir)).filter((f) => f.includes('.partial-'))).toEqual([]);
    const card = await readFile(path.join(out, 'README.md'), 'utf8');
    expect(card).toContain('base_model: "sentence-transformers/all-MiniLM-L6-v2"');
    expect(card).toContain('ONNX files (fp32, int8) for transformers.js');
    expect(card).toContain('## Training Details');
    const backend = new CpuBackend();
    const a = await loadSentenceModel(folderFiles(out), backend);
    const b = await loadSentenceModel(folderFiles(trained), backend);
    expect(await a.model.store.readParams()).toEqual(await b.model.store.readParams());
    const none = path.join(dir, 'no-onnx');
    expect((await cli('export', '--model', trained, '--out', none, '--onnx', 'none')).code).toBe(0);
    expect((await readdir(none)).includes('onnx')).toBe(false);
    expect(await readFile(path.join(none, 'README.md'), 'utf8')).toContain('has no `onnx/` folder');
  }, 120_000);

  it('writes a recipe with the run\'s data and settings that Python compiles', async () => {
    const recipe = path.join(dir, 'recipe');
    const r = await cli('export', '--model', trained, '--recipe', recipe, '--base-model', 'sentence-transformers/all-MiniLM-L6-v2', '--eval-data', SAMPLE);
    expect(r.code, r.stderr).toBe(0);
    expect((await readdir(recipe)).sort()).toEqual(['README.md', 'accelerate_config.yaml', 'data', 'requirements.txt', 'studio_run.json', 'train.py']);
    const py = await readFile(path.join(recipe, 'train.py'), 'utf8');
    expect(py).toContain('BASE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"');
    expect(py).toContain('TRAIN_PROMPTS = {"anchor": "query: ", "positive": "query: ", "negative": "query: "}');
    expect(py).toContain('MAX_STEPS = 2');
    expect(py).toContain('learning_rate=0.001');
    const rows = (await readFile(path.join(recipe, 'data/train.jsonl'), 'utf8')).trim().split('\n');
    const sample = (await readFile(SAMPLE, 'utf8')).trim().split('\n');
    expect(rows.length).toBe(sample.length);
    const studio = JSON.parse(await readFile(path.join(recipe, 'studio_run.json'), 'utf8')) as { losses: unknown[] };
    expect(studio.losses).toHaveLength(2);
    if (spawnSync('python3', ['--version']).status === 0) expect(spawnSync('python3', ['-m', 'py_compile', path.join(recipe, 'train.py')]).status).toBe(0);
  });

  it('pushes to the Hub (stand-in): the repo URL on stdout, the card naming the repo, a taken name refused', async () => {
    process.env.ES_TEST_HF_TOKEN = TOKEN;
    try {
      const args = ['export', '--model', trained, '--onnx', 'fp32', '--push-to-hub', 'alice/tiny-export', '--token-env', 'ES_TEST_HF_TOKEN', '--hub-url', hub.endpoint, '--private'];
      const r = await cli(...args);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(`${hub.endpoint}/alice/tiny-export\n`);
      expect(r.stderr).toMatch(/push: uploading/);
      expect(r.stderr).not.toContain(TOKEN);
      const repo = hub.repos.get('alice/tiny-export')!;
      expect(repo.private).toBe(true);
      expect([...repo.files.keys()]).toEqual(expect.arrayContaining(['README.md', 'model.safetensors', 'onnx/model.onnx', 'modules.json', '1_Pooling/config.json', 'tokenizer.json']));
      expect(repo.files.get('README.md')!.bytes.toString()).toContain('SentenceTransformer("alice/tiny-export")');
      const again = await cli(...args);
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(/alice\/tiny-export already exists on .*\(--update adds a commit to it\)/);
      const update = await cli(...args, '--update');
      expect(update.code, update.stderr).toBe(0);
      expect(repo.commits).toHaveLength(2);
      const bad = await cli(...args.map((a) => (a === 'ES_TEST_HF_TOKEN' ? 'ES_TEST_BAD_TOKEN' : a)).concat([]), '--update');
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/environment variable ES_TEST_BAD_TOKEN is not set/);
      process.env.ES_TEST_BAD_TOKEN = 'hf_not_a_real_one';
      const refused = await cli(...args.map((a) => (a === 'ES_TEST_HF_TOKEN' ? 'ES_TEST_BAD_TOKEN' : a)), '--update');
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/refused the token \(HTTP 401/);
      expect(refused.stderr).not.toContain('hf_not_a_real_one');
    } finally {
      delete process.env.ES_TEST_HF_TOKEN;
      delete process.env.ES_TEST_BAD_TOKEN;
    }
  }, 120_000);
});
