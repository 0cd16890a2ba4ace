/**
 * Attributes the page's long main-thread tasks from a Chromium trace (Playwright's
 * `browser.startTracing` / `stopTracing`, categories in TRACE_CATEGORIES): for every top-level task
 * on the renderer's main thread longer than a threshold, the time its own trace events took by kind
 * (script, style, layout, paint, GC …, each counted without its children) and, from the V8 sampling
 * profile, the JavaScript functions the samples inside it fell in (self and inclusive).
 *
 * Kept apart from bench/browser.ts so a saved trace can be re-read:
 *   npx tsx bench/long-task-trace.ts bench/out/trace-….json [--over 50]
 */
import { readFile } from 'node:fs/promises';

export const TRACE_CATEGORIES = [
  'toplevel',
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'blink.user_timing',
  'v8.execute',
  'disabled-by-default-v8.cpu_profiler',
  'disabled-by-default-v8.gc',
];

interface TraceEvent {
  readonly name: string;
  readonly ph: string;
  readonly pid: number;
  readonly tid: number;
  readonly ts: number;
  readonly dur?: number;
  readonly id?: string;
  readonly args?: { name?: string; data?: Record<string, unknown> };
}

interface CallFrame { functionName: string; url: string; lineNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; parent?: number }

export interface LongTaskReport {
  /** Start in ms from the first event of the trace. */
  readonly atMs: number;
  readonly durationMs: number;
  /** Self time of trace events by kind, ms, largest first. */
  readonly byKind: readonly [string, number][];
  /** What started the task (timer, message, animation frame, event type …). */
  readonly trigger: string;
  /** JS functions by self time, ms (from ~0.1 ms samples). */
  readonly jsSelf: readonly [string, number][];
  /** JS functions by inclusive time, ms: every function on the sampled stack counts once. */
  readonly jsInclusive: readonly [string, number][];
}

const TOP = new Set(['RunTask', 'ThreadControllerImpl::RunTask']);

/** Names that say what a piece of a task was, with the detail worth showing. */
function kindOf(e: TraceEvent): string {
  const d = e.args?.data ?? {};
  switch (e.name) {
    case 'FunctionCall': {
      const fn = typeof d.functionName === 'string' && d.functionName ? d.functionName : '(anonymous)';
      return `FunctionCall ${fn} ${shortUrl(String(d.url ?? ''))}`;
    }
    case 'EventDispatch':
      return `EventDispatch ${String(d.type ?? '')}`;
    default:
      return e.name;
  }
}

function shortUrl(url: string): string {
  return url.replace(/^https?:\/\/[^/]+\//, '').replace(/-[\w-]{8}\.js$/, '.js');
}

function frameName(f: CallFrame): string {
  if (!f.url) return f.functionName || '(native)';
  return `${f.functionName || '(anonymous)'} ${shortUrl(f.url)}:${f.lineNumber + 1}`;
}

/** The renderer main thread that ran the most JavaScript (the page, not an extension or a blank tab). */
function pageMainThread(events: readonly TraceEvent[]): { pid: number; tid: number } | null {
  const mains = new Set<string>();
  for (const e of events) if (e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain') mains.add(`${e.pid}:${e.tid}`);
  const busy = new Map<string, number>();
  for (const e of events) {
    const key = `${e.pid}:${e.tid}`;
    if (e.ph === 'X' && TOP.has(e.name) && mains.has(key)) busy.set(key, (busy.get(key) ?? 0) + (e.dur ?? 0));
  }
  const best = [...busy.entries()].sort((a, b) => b[1] - a[1])[0];
  if (!best) return null;
  const [pid, tid] = best[0].split(':').map(Number);
  return { pid, tid };
}

/** Sample times (µs, trace clock) and leaf node of every V8 sample of one thread, plus the node table. */
function samplesOf(events: readonly TraceEvent[], pid: number, tid: number): { times: number[]; leaves: number[]; nodes: Map<number, ProfileNode> } {
  // A 'Profile' event names the profiled thread; its 'ProfileChunk's carry the same id (maybe on another thread).
  const ids = new Map<string, number>();
  for (const e of events) if (e.name === 'Profile' && e.pid === pid && e.tid === tid && e.id) ids.set(e.id, Number((e.args?.data as { startTime?: number })?.startTime ?? e.ts));
  const nodes = new Map<number, ProfileNode>();
  const times: number[] = [];
  const leaves: number[] = [];
  const clock = new Map(ids);
  for (const e of events) {
    if (e.name !== 'ProfileChunk' || e.pid !== pid || !e.id || !clock.has(e.id)) continue;
    const data = e.args?.data as { cpuProfile?: { nodes?: ProfileNode[]; samples?: number[] }; timeDeltas?: number[] } | undefined;
    for (const n of data?.cpuProfile?.nodes ?? []) nodes.set(n.id, n);
    const samples = data?.cpuProfile?.samples ?? [];
    const deltas = data?.timeDeltas ?? [];
    let t = clock.get(e.id)!;
    for (let i = 0; i < samples.length; i++) {
      t += deltas[i] ?? 0;
      times.push(t);
      leaves.push(samples[i]);
    }
    clock.set(e.id, t);
  }
  return { times, leaves, nodes };
}

function top(map: Map<string, number>, n: number): [string, number][] {
  return [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => [k, Number(v.toFixed(1))]);
}

/**
 * Long tasks of the page's main thread within [fromMs, toMs] (ms since the trace's first event;
 * the whole trace when omitted).
 */
export function analyseTrace(json: string, overMs = 50, window?: { fromMs: number; toMs: number }): { tasks: LongTaskReport[]; note?: string } {
  const parsed = JSON.parse(json) as { traceEvents?: TraceEvent[] } | TraceEvent[];
  const events = Array.isArray(parsed) ? parsed : parsed.traceEvents ?? [];
  const main = pageMainThread(events);
  if (!main) return { tasks: [], note: 'no renderer main thread in the trace' };
  // A reduce, not Math.min(...): traces hold millions of events.
  const t0 = events.reduce((m, e) => (e.ts > 0 && e.ts < m ? e.ts : m), Number.POSITIVE_INFINITY);
  const own = events.filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === 'X' && e.dur !== undefined).sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
  const { times, leaves, nodes } = samplesOf(events, main.pid, main.tid);

  const tasks: LongTaskReport[] = [];
  let i = 0;
  while (i < own.length) {
    const task = own[i];
    if (!TOP.has(task.name)) { i++; continue; }
    const end = task.ts + task.dur!;
    let j = i + 1;
    while (j < own.length && own[j].ts < end) j++;
    const atMs = (task.ts - t0) / 1000;
    if (task.dur! / 1000 > overMs && (!window || (atMs >= window.fromMs && atMs <= window.toMs))) {
      // Self time per kind: each event's duration minus that of the events directly inside it.
      const inner = own.slice(i + 1, j).filter((e) => !TOP.has(e.name));
      const self = new Map<string, number>();
      const stack: { e: TraceEvent; childUs: number }[] = [];
      const close = (upTo: number) => {
        while (stack.length > 0 && stack[stack.length - 1].e.ts + stack[stack.length - 1].e.dur! <= upTo) {
          const done = stack.pop()!;
          const k = kindOf(done.e);
          self.set(k, (self.get(k) ?? 0) + (done.e.dur! - done.childUs) / 1000);
        }
      };
      let childOfTask = 0;
      for (const e of inner) {
        close(e.ts);
        if (stack.length > 0) stack[stack.length - 1].childUs += e.dur!;
        else childOfTask += e.dur!;
        stack.push({ e, childUs: 0 });
      }
      close(Number.POSITIVE_INFINITY);
      self.set('(task, outside any event)', (task.dur! - childOfTask) / 1000);
      const first = inner[0];
      const trigger = first ? kindOf(first) : '(none)';
      // Starting the sampling profiler stops the page in an interrupt of its own: tracing's cost, not the page's.
      const interrupt = self.get('V8.InvokeApiInterruptCallbacks') ?? 0;
      if (interrupt > 0.8 * (task.dur! / 1000)) {
        i = j;
        continue;
      }

      const jsSelf = new Map<string, number>();
      const jsInc = new Map<string, number>();
      for (let s = lowerBound(times, task.ts); s < times.length && times[s] < end; s++) {
        const dt = ((times[s + 1] ?? times[s]) - times[s]) / 1000;
        const w = dt > 0 && dt < 5 ? dt : 0.1;
        let node = nodes.get(leaves[s]);
        if (!node) continue;
        const leaf = frameName(node.callFrame);
        jsSelf.set(leaf, (jsSelf.get(leaf) ?? 0) + w);
        const seen = new Set<string>();
        while (node) {
          const name = frameName(node.callFrame);
          if (!seen.has(name) && name !== '(root)') {
            seen.add(name);
            jsInc.set(name, (jsInc.get(name) ?? 0) + w);
          }
          node = node.parent === undefined ? undefined : nodes.get(node.parent);
        }
      }
      tasks.push({ atMs: Number(atMs.toFixed(1)), durationMs: Number((task.dur! / 1000).toFixed(1)), trigger, byKind: top(self, 12), jsSelf: top(jsSelf, 15), jsInclusive: top(jsInc, 25) });
    }
    i = j;
  }
  return { tasks };
}

function lowerBound(xs: readonly number[], x: number): number {
  let lo = 0, hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function formatReport(tasks: readonly LongTaskReport[]): string {
  const lines: string[] = [];
  for (const t of tasks) {
    lines.push(`\n● ${t.durationMs} ms at ${t.atMs} ms — first: ${t.trigger}`);
    lines.push(`  by kind (self): ${t.byKind.filter(([, v]) => v >= 0.5).map(([k, v]) => `${k} ${v}`).join(' | ')}`);
    if (t.jsSelf.length) lines.push(`  JS self: ${t.jsSelf.map(([k, v]) => `${k} ${v}`).join(' | ')}`);
    if (t.jsInclusive.length) lines.push(`  JS inclusive: ${t.jsInclusive.map(([k, v]) => `${k} ${v}`).join(' | ')}`);
  }
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: tsx bench/long-task-trace.ts TRACE.json [--over 50]');
  const i = process.argv.indexOf('--over');
  const { tasks, note } = analyseTrace(await readFile(file, 'utf8'), i > 0 ? Number(process.argv[i + 1]) : 50);
  process.stdout.write(`${note ?? ''}${formatReport(tasks)}\n`);
}
