import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateSnippets, splitTemplate, TRANSFORMERS_JS_POOLING } from './snippets.ts';
import { POOLING_MODES } from '../../../shared/names.ts';
import type { RetrievalSettings } from '../../../shared/settings.ts';

const base: RetrievalSettings = { pooling: 'mean', normalize: true, includePrompt: true, queryTemplate: '{text}', corpusTemplate: '{text}' };
const gen = (patch: Partial<RetrievalSettings>) => generateSnippets({ settings: { ...base, ...patch }, modelName: 'm' });

describe('TRANSFORMERS_JS_POOLING', () => {
  it("matches the pooling cases in the installed transformers.js' feature-extraction pipeline", () => {
    const file = new URL('../../../../node_modules/@huggingface/transformers/src/pipelines/feature-extraction.js', import.meta.url);
    const src = readFileSync(file, 'utf8');
    const body = src.slice(src.indexOf('switch (pooling)'), src.indexOf('default:', src.indexOf('switch (pooling)')));
    const cases = [...body.matchAll(/case '([a-z_]+)':/g)].map((m) => m[1]).sort();
    expect(cases).toEqual([...TRANSFORMERS_JS_POOLING].sort());
  });
});

describe('splitTemplate', () => {
  it('splits around {text}', () => {
    expect(splitTemplate('query: {text}')).toEqual({ prefix: 'query: ', suffix: '' });
    expect(splitTemplate('[{text}]')).toEqual({ prefix: '[', suffix: ']' });
    expect(splitTemplate('{text}')).toEqual({ prefix: '', suffix: '' });
  });
});

describe('generateSnippets', () => {
  it('uses the pipeline with mean pooling and normalisation, no prompt', () => {
    const s = gen({});
    expect(s.jsPath).toBe('pipeline');
    expect(s.transformersJs).toContain("pipeline('feature-extraction', 'model', { dtype: 'fp32' })");
    expect(s.transformersJs).toContain("extractor(queries, { pooling: 'mean', normalize: true })");
    expect(s.python).toContain('SentenceTransformer("path/to/model")');
    expect(s.python).toContain('model.encode(queries)');
    expect(s.python).not.toContain('prompt=');
  });

  it('passes the prompts to both libraries', () => {
    const s = gen({ queryTemplate: 'query: {text}', corpusTemplate: 'passage: {text}', pooling: 'cls', normalize: false });
    expect(s.python).toContain('model.encode(queries, prompt="query: ")');
    expect(s.python).toContain('model.encode(documents, prompt="passage: ")');
    expect(s.transformersJs).toContain(`extractor(queries.map((t) => "query: " + t), { pooling: 'cls', normalize: false })`);
    expect(s.notes.join(' ')).toContain('query = "query: "');
  });

  it('pools by hand for modes the pipeline lacks', () => {
    for (const mode of ['max', 'mean_sqrt_len_tokens', 'weightedmean'] as const) {
      const s = gen({ pooling: mode });
      expect(s.jsPath).toBe('manual');
      expect(s.transformersJs).toContain('AutoModel.from_pretrained');
      expect(s.transformersJs).toContain(`pooling_mode="${mode}"`);
      expect(s.notes[0]).toContain('not available');
    }
    expect(gen({ pooling: 'max' }).transformersJs).toContain('Math.max(v[d]');
    expect(gen({ pooling: 'weightedmean' }).transformersJs).toContain('m(b, t) * (t + 1)');
    expect(gen({ pooling: 'mean_sqrt_len_tokens' }).transformersJs).toContain('Math.sqrt(Math.max(total, 1e-9))');
    expect(gen({ pooling: 'max', normalize: false }).transformersJs).not.toContain('Math.hypot');
  });

  it('pools by hand when mean pooling must leave the prompt out', () => {
    const s = gen({ includePrompt: false, queryTemplate: 'query: {text}' });
    expect(s.jsPath).toBe('manual');
    expect(s.transformersJs).toContain('promptLength');
    expect(s.transformersJs).toContain('embed(queries, "query: ")');
    // Without a prompt there is nothing to leave out: the pipeline is exact.
    expect(gen({ includePrompt: false }).jsPath).toBe('pipeline');
    // CLS ignores the prompt question entirely.
    expect(gen({ includePrompt: false, pooling: 'cls', queryTemplate: 'q: {text}' }).jsPath).toBe('pipeline');
  });

  it('embeds one text per call for last-token pooling', () => {
    const s = gen({ pooling: 'lasttoken' });
    expect(s.jsPath).toBe('pipeline-one-by-one');
    expect(s.transformersJs).toContain("pooling: 'last_token'");
  });

  it('appends template suffixes by hand and escapes quotes', () => {
    const s = gen({ queryTemplate: 'Q "x": {text} END', corpusTemplate: '{text}' });
    expect(s.python).toContain('model.encode([t + " END" for t in queries], prompt="Q \\"x\\": ")');
    expect(s.transformersJs).toContain('queries.map((t) => "Q \\"x\\": " + t + " END")');
    expect(s.notes.some((n) => n.includes('after {text}'))).toBe(true);
  });

  it('produces syntactically valid JavaScript for every pooling mode and prompt setting', () => {
    for (const pooling of POOLING_MODES) {
      for (const includePrompt of [true, false]) {
        const s = gen({ pooling, includePrompt, queryTemplate: 'query: {text}!', corpusTemplate: '{text}' });
        // Top-level await: wrap in an async function to parse.
        expect(() => new Function(`return (async () => {\n${s.transformersJs.replace(/^import .*$/m, '')}\n})`)).not.toThrow();
      }
    }
  });
});
