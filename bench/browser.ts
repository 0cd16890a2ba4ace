/**
 * `npm run bench:browser`: the studio page itself, measured in headless Chromium on WebGPU
 * (SwiftShader here), driven through the real UI the way a person uses it:
 *
 *  1. time from dropping a generated 1,000-row (query, positive) JSONL on the Data panel (built-in
 *     model loaded, default 20 % eval split) to the first ranking in the Playground — with the
 *     in-between steps (dataset read, metrics shown). The eval corpus is every positive of the
 *     file: 1,000 documents, ranked for the 200 eval queries;
 *  2. embed throughput in the worker, from the Playground's own "evaluated in" time: the first
 *     evaluate embeds the eval queries and the corpus (cold: pipelines compile), then a new
 *     query template re-embeds only the queries (warm);
 *  3. training pairs/s from the Train panel's progress UI (its own number, cumulative since the
 *     start, and one computed from step timestamps once the run is warm); the run is cancelled
 *     after a few steps;
 *  4. the longest main-thread task while training (PerformanceObserver 'longtask', installed with
 *     addInitScript; target < 50 ms), counted from the click on Start once the panel's charts
 *     are drawn (opening the panel, which loads Plotly, is reported on its own). The JSON keeps
 *     the longest animation frames of that window with the scripts that ran in them
 *     ('long-animation-frame': callback kind, function, file): what the long tasks were.
 *
 * Writes bench/out/browser-<stamp>.json and appends a dated table to bench/RESULTS.md. Never fails
 * on a time; fails only when the page cannot be driven.
 *
 *   npm run bench:browser [-- --rows 1000 --train-steps 6 --skip-embed --trace]
 *
 * The default is the full run. On an emulated GPU phase 1 takes minutes (every eval text is embedded),
 * so when only the training figures matter, `--rows 100 --skip-embed` shrinks it (the table's mode
 * line says so). `--trace` records a Chromium trace of the training window from an unminified build
 * (bench/out/trace-<stamp>.json) and prints what each long task spent its time on
 * (bench/long-task-trace.ts); tracing slows the page, so such a run is not appended to RESULTS.md.
 */
import { seededRandom } from '../src/data/split.ts';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, hostname, loadavg, totalmem } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { dropFile, launchChromium, openPanel, servePage, watchContext } from '../e2e/support/browser.ts';
import { analyseTrace, formatReport, TRACE_CATEGORIES } from './long-task-trace.ts';

function argValue(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const ROWS = argValue('rows', 1000);
const TRAIN_STEPS = argValue('train-steps', 6);
const SKIP_EMBED = process.argv.includes('--skip-embed');
const TRACE = process.argv.includes('--trace');
const DEFAULT_RUN = ROWS === 1000 && TRAIN_STEPS === 6 && !SKIP_EMBED && !TRACE;
const MODE = DEFAULT_RUN
  ? 'full run (defaults)'
  : `shrunk/changed run: --rows ${ROWS} --train-steps ${TRAIN_STEPS}${SKIP_EMBED ? ' --skip-embed (no warm-embed phase)' : ''}${TRACE ? ' --trace (unminified build, tracing on: times inflated)' : ''}`;
const TRAIN_BATCH = 16;
const TIMEOUT = 600_000;

/** The split's deterministic PRNG, so every run drops the same file. */
const rng = seededRandom;

/** `rows` (query, positive) rows from words of the built-in model's own vocabulary, all texts distinct. */
async function generateDataset(rows: number): Promise<{ bytes: Uint8Array; meanWords: number }> {
  const vocab = (await readFile('public/models/builtin/vocab.txt', 'utf8')).split('\n').filter((w) => /^[a-z]{4,}$/.test(w));
  const r = rng(20261127);
  const pick = () => vocab[Math.floor(r() * vocab.length)];
  const words = (n: number) => Array.from({ length: n }, pick);
  const lines: string[] = [];
  let total = 0, texts = 0;
  for (let i = 0; i < rows; i++) {
    const q = words(5 + Math.floor(r() * 6));
    // The positive repeats some of the query's words among its own; the negative does not.
    const positive = [...q.slice(0, 3), ...words(14 + Math.floor(r() * 12))].sort(() => r() - 0.5);
    const query = `${q.join(' ')} ${i}?`;
    total += q.length + positive.length;
    texts += 2;
    lines.push(JSON.stringify({ query, positive: `${positive.join(' ')} (${i})` }));
  }
  return { bytes: new TextEncoder().encode(`${lines.join('\n')}\n`), meanWords: total / texts };
}

/** "1354 ms" / "12.3 s" as the page writes times (src/app/ui/format.ts formatMs). */
function parseMs(text: string): number {
  const m = /([\d.]+)\s*(ms|s)/.exec(text);
  if (!m) throw new Error(`not a time: ${text}`);
  return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
}

async function pageNow(page: Page): Promise<number> {
  return page.evaluate(() => performance.now());
}

async function waitMetricsReady(page: Page): Promise<number> {
  await page.waitForFunction(() => document.querySelector('[data-testid="playground-metrics"]')?.getAttribute('data-state') === 'ready', null, { timeout: TIMEOUT, polling: 50 });
  return parseMs((await page.getByTestId('playground-eval-ms').textContent()) ?? '');
}

interface LongTask { start: number; duration: number }

/** A Long Animation Frame entry, cut to what says where its time went (cheap enough to keep on in every run). */
interface LongFrame {
  start: number;
  duration: number;
  blockingDuration: number;
  styleAndLayoutMs: number;
  scripts: { invoker: string; fn: string; source: string; ms: number; forcedLayoutMs: number }[];
}

async function main(): Promise<void> {
  const stamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const load = loadavg();
  const served = await servePage('dist/bench-browser', { minify: !TRACE });
  const browser = await launchChromium();
  const result: Record<string, unknown> = { date: stamp, mode: MODE, host: hostname(), cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`, loadAverageAtStart: load.map((x) => Number(x.toFixed(2))) };
  try {
    result.chromium = browser.version();
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, colorScheme: 'light' });
    const watch = watchContext(context, served.host);
    // Every long task on the main thread, from the first script on.
    await context.addInitScript(() => {
      const w = window as unknown as { __longtasks: { start: number; duration: number }[] };
      w.__longtasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.__longtasks.push({ start: e.startTime, duration: e.duration });
      }).observe({ type: 'longtask', buffered: true });
      // Long animation frames name the scripts that ran in them (callback, function, file): the
      // attribution a plain 'longtask' entry lacks, without a trace's cost.
      const f = window as unknown as { __longframes: unknown[] };
      f.__longframes = [];
      interface ScriptTiming { invoker: string; sourceFunctionName: string; sourceURL: string; duration: number; forcedStyleAndLayoutDuration: number }
      interface FrameTiming { startTime: number; duration: number; blockingDuration: number; renderStart: number; styleAndLayoutStart: number; scripts: ScriptTiming[] }
      try {
        new PerformanceObserver((list) => {
          for (const e of list.getEntries() as unknown as FrameTiming[]) {
            f.__longframes.push({
              start: e.startTime,
              duration: e.duration,
              blockingDuration: e.blockingDuration,
              styleAndLayoutMs: e.styleAndLayoutStart > 0 ? e.startTime + e.duration - e.styleAndLayoutStart : 0,
              scripts: e.scripts.map((x) => ({
                invoker: x.invoker,
                fn: x.sourceFunctionName,
                source: x.sourceURL.replace(/^.*\//, ''),
                ms: Math.round(x.duration),
                forcedLayoutMs: Math.round(x.forcedStyleAndLayoutDuration),
              })),
            });
          }
        }).observe({ type: 'long-animation-frame', buffered: true });
      } catch {
        // Not in this browser: the long tasks are still counted.
      }
    });
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT);
    const longTasks = () => page.evaluate(() => (window as unknown as { __longtasks: LongTask[] }).__longtasks.slice());
    const longFrames = () => page.evaluate(() => (window as unknown as { __longframes: LongFrame[] }).__longframes.slice());

    await page.goto(served.url);
    await page.waitForFunction(() => /Training backend: WebGPU/.test(document.querySelector('[data-testid="backend-status"]')?.textContent ?? ''), null, { timeout: 60_000 });
    result.adapter = await page.getByTestId('backend-status').textContent();
    await page.getByRole('button', { name: 'Load the built-in model' }).click();
    await page.getByTestId('model-card').waitFor();

    // ---- 1. drop → first ranking --------------------------------------------------------------
    const { bytes, meanWords } = await generateDataset(ROWS);
    await openPanel(page, '2 Data');
    await page.getByTestId('data-dropzone').waitFor();
    const t0 = await pageNow(page);
    await dropFile(page, '[data-testid="data-dropzone"]', `generated-${ROWS}.jsonl`, bytes);
    await page.waitForFunction((name) => document.querySelector('[data-testid="dataset-summary"] .file-name')?.textContent === name, `generated-${ROWS}.jsonl`, { timeout: TIMEOUT, polling: 50 });
    const tRead = await pageNow(page);
    const count = async (key: string) => Number(((await page.locator(`[data-count="${key}"]`).textContent()) ?? '').replace(/[^\d]/g, ''));
    const dataset = { rows: await count('rows'), train: await count('train'), evalQueries: await count('queries'), corpus: await count('corpus'), meanWordsPerText: Number(meanWords.toFixed(1)) };
    // The person goes straight on to the Playground.
    await openPanel(page, '3 Playground');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="ranking-current"] li.hit:not(.empty)').length > 0, null, { timeout: TIMEOUT, polling: 50 });
    const tRanking = await pageNow(page);
    const coldEvalMs = await waitMetricsReady(page);
    const tMetrics = await pageNow(page);
    const dropTasks = (await longTasks()).filter((t) => t.start >= t0 && t.start <= tMetrics);
    result.dropToRanking = {
      dataset,
      datasetReadMs: Math.round(tRead - t0),
      firstRankingMs: Math.round(tRanking - t0),
      metricsShownMs: Math.round(tMetrics - t0),
      longestMainThreadTaskMs: Math.round(Math.max(0, ...dropTasks.map((t) => t.duration))),
      longTasks: dropTasks.length,
    };
    process.stderr.write(`drop → first ranking: ${JSON.stringify(result.dropToRanking)}\n`);

    // ---- 2. embed throughput (the worker's own evaluate time) ----------------------------------
    const warmEvalMs = SKIP_EMBED ? Number.NaN : await (async () => {
      await page.getByLabel('Query template').fill('query: {text}');
      await page.waitForFunction(() => document.querySelector('[data-testid="playground-metrics"]')?.getAttribute('data-state') === 'pending', null, { timeout: 10_000, polling: 20 });
      return waitMetricsReady(page);
    })();
    result.embed = {
      coldSentences: dataset.evalQueries + dataset.corpus,
      coldEvaluateMs: Math.round(coldEvalMs),
      coldSentencesPerSecond: Number(((dataset.evalQueries + dataset.corpus) / (coldEvalMs / 1000)).toFixed(1)),
      warmSentences: dataset.evalQueries,
      warmEvaluateMs: SKIP_EMBED ? null : Math.round(warmEvalMs),
      warmSentencesPerSecond: SKIP_EMBED ? null : Number((dataset.evalQueries / (warmEvalMs / 1000)).toFixed(1)),
    };
    process.stderr.write(`embed: ${JSON.stringify(result.embed)}\n`);

    // ---- 3 + 4. training pairs/s and main-thread long tasks --------------------------------------
    const panelStart = await pageNow(page);
    await openPanel(page, '4 Train');
    await page.waitForFunction(() => document.querySelectorAll('.train-charts .js-plotly-plot').length >= 2, null, { timeout: TIMEOUT });
    await page.waitForTimeout(1000);
    await page.locator('#train-epochs').fill('1');
    await page.locator('#train-batchSize').fill(String(TRAIN_BATCH));
    await page.locator('details.advanced summary').click();
    await page.locator('#train-evalEvery').fill('0');
    const trainStart = await pageNow(page);
    const panelTasks = (await longTasks()).filter((t) => t.start >= panelStart && t.start < trainStart).map((t) => t.duration);
    if (TRACE) await browser.startTracing(page, { categories: TRACE_CATEGORIES });
    await page.getByTestId('train-start').click();
    const steps: { step: number; t: number; uiPairsPerSecond: string }[] = [];
    const pairsCell = page.locator('.run-stats div').filter({ hasText: 'Pairs/s' }).locator('dd');
    let lastStep = -1;
    const stepDeadline = Date.now() + TIMEOUT;
    while (Date.now() < stepDeadline) {
      const text = (await page.getByTestId('train-step').textContent()) ?? '0/0';
      const step = Number(text.split('/')[0]);
      if (step !== lastStep) {
        steps.push({ step, t: await pageNow(page), uiPairsPerSecond: (await pairsCell.textContent()) ?? '' });
        lastStep = step;
      }
      const status = (await page.getByTestId('train-status').textContent()) ?? '';
      if (step >= TRAIN_STEPS || /Finished|Failed|Cancelled/.test(status)) break;
      await page.waitForTimeout(100);
    }
    const trainEnd = await pageNow(page);
    const uiPairs = (await pairsCell.textContent()) ?? '';
    if (await page.getByTestId('train-cancel').isEnabled()) await page.getByTestId('train-cancel').click();
    await page.waitForFunction(() => /Cancelled|Finished|Failed/.test(document.querySelector('[data-testid="train-status"]')?.textContent ?? ''), null, { timeout: TIMEOUT });
    const trainTasks = (await longTasks()).filter((t) => t.start >= trainStart && t.start <= trainEnd);
    const trainFrames = (await longFrames()).filter((f) => f.start >= trainStart && f.start <= trainEnd && f.blockingDuration > 0).sort((a, b) => b.duration - a.duration);
    if (TRACE) {
      const trace = (await browser.stopTracing()).toString('utf8');
      await mkdir('bench/out', { recursive: true });
      const traceFile = path.join('bench/out', `trace-${stamp.replace(/:/g, '-')}.json`);
      await writeFile(traceFile, trace);
      const { tasks, note } = analyseTrace(trace, 50);
      result.trace = { file: traceFile, note, longTasks: tasks };
      process.stderr.write(`trace → ${traceFile}${note ? ` (${note})` : ''}\nlong tasks while training, attributed:${formatReport(tasks)}\n`);
    }
    const real = steps.filter((s) => s.step > 0);
    // Steady state: from the second reported step on (the first one compiles the pipelines).
    const warm = real.length >= 3 ? ((real.at(-1)!.step - real[1].step) * TRAIN_BATCH) / ((real.at(-1)!.t - real[1].t) / 1000) : null;
    const sorted = trainTasks.map((t) => t.duration).sort((a, b) => b - a);
    result.training = {
      batchSize: TRAIN_BATCH,
      stepsTimed: real.at(-1)?.step ?? 0,
      baselineEvalAndFirstStepMs: real[0] ? Math.round(real[0].t - trainStart) : null,
      uiPairsPerSecond: Number(uiPairs) || uiPairs,
      warmPairsPerSecond: warm === null ? null : Number(warm.toFixed(2)),
      stepTimesMs: real.slice(1).map((s, i) => Math.round(s.t - real[i].t)),
      longestMainThreadTaskMs: Math.round(sorted[0] ?? 0),
      longTasks: trainTasks.length,
      longTasksOver50Ms: sorted.filter((d) => d > 50).length,
      top5LongTasksMs: sorted.slice(0, 5).map(Math.round),
      windowMs: Math.round(trainEnd - trainStart),
      openingPanelLongestTaskMs: Math.round(Math.max(0, ...panelTasks)),
      // The longest frames with blocking work, and the scripts in them (what the long tasks were).
      longFrames: trainFrames.slice(0, 8).map((f) => ({ ...f, start: Math.round(f.start - trainStart), duration: Math.round(f.duration), blockingDuration: Math.round(f.blockingDuration), styleAndLayoutMs: Math.round(f.styleAndLayoutMs) })),
    };
    process.stderr.write(`training: ${JSON.stringify(result.training)}\n`);
    result.pageErrors = watch.errors.filter((e) => !/favicon\.ico/.test(e));
    result.foreignRequests = watch.foreignRequests();
    result.loadAverageAtEnd = loadavg().map((x) => Number(x.toFixed(2)));
    await context.close();
  } finally {
    await browser.close();
    await served.close();
  }

  await mkdir('bench/out', { recursive: true });
  const out = path.join('bench/out', `browser-${stamp.replace(/:/g, '-')}.json`);
  await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
  const d = result.dropToRanking as Record<string, number> & { dataset: Record<string, number> };
  const e = result.embed as Record<string, number | null>;
  const t = result.training as Record<string, number | null>;
  const table = [
    `\n## ${stamp} — page in Chromium (bench/browser.ts) — ${hostname()}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, load ${load.map((x) => x.toFixed(1)).join('/')}\n`,
    `Mode: ${MODE}.\n`,
    `Adapter: SwiftShader in Chromium ${result.chromium} (${result.adapter}). Built-in model (2 layers × 128). Dataset: ${d.dataset.rows} generated rows, ${d.dataset.evalQueries} eval queries × ${d.dataset.corpus} documents, ~${d.dataset.meanWordsPerText} words per text.\n`,
    '| drop → dataset read | drop → first ranking | drop → metrics | embed cold (queries + docs) sent/s | embed warm (queries) sent/s | train pairs/s (UI) | train pairs/s (warm, batch 16) | longest main-thread task while training | long tasks > 50 ms while training |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    `| ${(d.datasetReadMs / 1000).toFixed(2)} s | ${(d.firstRankingMs / 1000).toFixed(2)} s | ${(d.metricsShownMs / 1000).toFixed(2)} s | ${e.coldSentencesPerSecond} | ${e.warmSentencesPerSecond ?? '— (skipped)'} | ${t.uiPairsPerSecond} | ${t.warmPairsPerSecond ?? '—'} | ${t.longestMainThreadTaskMs} ms | ${t.longTasksOver50Ms} of ${t.longTasks} |`,
  ].join('\n');
  // A traced run's times are inflated by the tracing itself: it is a diagnosis, not a result.
  if (!TRACE) await appendFile('bench/RESULTS.md', `${table}\n`);
  process.stderr.write(`${table}\n→ ${out}\n`);
}

await main();
