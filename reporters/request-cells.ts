import { closeSync, openSync, readSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { readJsonl, type JsonlRange, type JsonlReadStats } from './read-jsonl'

// Columnar accumulation of raw/requests.jsonl: one pass, one "cell" per (suite, phase, mode, step,
// repetition). Only numbers are kept (no record objects), so 10^6 requests fit in a few hundred MB.

/** Latency columns kept per cell; each is a metric of helpers/client/request-record.ts. */
export const LATENCY_COLUMNS = [
  'ttft_ms',
  'ttft_from_schedule_ms',
  'ttfb_ms',
  'ttfc_ms',
  'tpot_ms',
  'e2e_ms',
  'schedule_delay_ms',
  'client_overhead_ms',
] as const
export type LatencyColumn = (typeof LATENCY_COLUMNS)[number]

export interface RequestCell {
  suite_id: string
  phase: string
  phase_kind: string
  mode: string
  step: Record<string, number | string> | undefined
  repetition: number | undefined
  /** 2 for the records of a re-run phase; undefined for a phase's first (usually only) attempt. */
  attempt: number | undefined
  workload: string
  count: number
  ok: number
  errors_by_class: Record<string, number>
  input_tokens: number
  output_tokens: number
  cached_tokens: number
  t_first_sent_ms: number
  t_last_end_ms: number
  columns: Record<LatencyColumn, number[]>
  /** All inter-token gaps of the cell's requests. */
  itl_ms: number[]
  /** t_sent_ms of every request, aligned with columns.ttft_ms (NaN when no token arrived). */
  t_sent_ms: number[]
}

export interface RequestScan {
  cells: Map<string, RequestCell>
  stats: JsonlReadStats
  /** Lines that parsed but lack the fields a request record must have. */
  invalid_records: number
  /** Threads that parsed the file (1 when scanned in-process, also after a worker failure). */
  threads?: number
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : Number.NaN)

export const cellKey = (suite: string, phase: string, mode: string, step: unknown, rep: unknown, attempt?: unknown): string =>
  `${suite}\u0000${phase}\u0000${mode}\u0000${step === undefined ? '' : JSON.stringify(step)}\u0000${rep ?? ''}${typeof attempt === 'number' ? `\u0000${attempt}` : ''}`

const newCell = (r: Record<string, unknown>): RequestCell => ({
  suite_id: String(r.suite_id),
  phase: String(r.phase),
  phase_kind: String(r.phase_kind ?? 'measure'),
  mode: String(r.mode ?? 'unknown'),
  step: r.step as RequestCell['step'],
  repetition: typeof r.repetition === 'number' ? r.repetition : undefined,
  attempt: typeof r.attempt === 'number' ? r.attempt : undefined,
  workload: String(r.workload ?? ''),
  count: 0,
  ok: 0,
  errors_by_class: {},
  input_tokens: 0,
  output_tokens: 0,
  cached_tokens: 0,
  t_first_sent_ms: Number.POSITIVE_INFINITY,
  t_last_end_ms: Number.NEGATIVE_INFINITY,
  columns: Object.fromEntries(LATENCY_COLUMNS.map((c) => [c, []])) as unknown as Record<LatencyColumn, number[]>,
  itl_ms: [],
  t_sent_ms: [],
})

let lastCell: RequestCell | null = null
let lastCells: Map<string, RequestCell> | null = null

const sameStep = (a: Record<string, unknown> | undefined, b: unknown): boolean => {
  if (a === undefined || b === undefined || b === null || typeof b !== 'object') return a === b || (a === undefined && b == null)
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  if (ka.length !== kb.length) return false
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i] || a[ka[i]!] !== (b as Record<string, unknown>)[ka[i]!]) return false
  return true
}

const sameCell = (c: RequestCell, r: Record<string, unknown>): boolean =>
  c.suite_id === r.suite_id &&
  c.phase === r.phase &&
  c.mode === String(r.mode ?? 'unknown') &&
  c.repetition === (typeof r.repetition === 'number' ? r.repetition : undefined) &&
  c.attempt === (typeof r.attempt === 'number' ? r.attempt : undefined) &&
  sameStep(c.step, r.step)

// Adds one parsed line to its cell. Exported for tests and for callers that already hold records.
export const addRequest = (cells: Map<string, RequestCell>, r: Record<string, unknown>): boolean => {
  if (typeof r.suite_id !== 'string' || typeof r.phase !== 'string') return false
  // Requests of one phase arrive mostly in a row: reuse the previous cell without building a key.
  let cell = lastCell !== null && lastCells === cells && sameCell(lastCell, r) ? lastCell : undefined
  if (!cell) {
    const key = cellKey(r.suite_id, r.phase, String(r.mode ?? 'unknown'), r.step, r.repetition, r.attempt)
    cell = cells.get(key)
    if (!cell) {
      cell = newCell(r)
      cells.set(key, cell)
    }
    lastCell = cell
    lastCells = cells
  }
  cell.count++
  const ok = r.ok === true
  if (ok) cell.ok++
  else {
    const cls = typeof r.error_class === 'string' ? r.error_class : 'unknown'
    cell.errors_by_class[cls] = (cell.errors_by_class[cls] ?? 0) + 1
  }
  const sent = num(r.t_sent_ms)
  const end = num(r.t_end_ms)
  if (sent < cell.t_first_sent_ms) cell.t_first_sent_ms = sent
  if (end > cell.t_last_end_ms) cell.t_last_end_ms = end
  cell.t_sent_ms.push(sent)
  const cols = cell.columns
  // Latencies of failed requests are not latencies of served requests; keep ttft NaN to stay aligned.
  cols.ttft_ms.push(ok ? num(r.ttft_ms) : Number.NaN)
  if (ok) {
    cols.ttft_from_schedule_ms.push(num(r.ttft_from_schedule_ms))
    cols.ttfb_ms.push(num(r.ttfb_ms))
    cols.ttfc_ms.push(num(r.ttfc_ms))
    cols.tpot_ms.push(num(r.tpot_ms))
    cols.e2e_ms.push(num(r.e2e_ms))
    const st = r.server_timing as { first_token_ms?: unknown } | null | undefined
    const serverFirst = st ? num(st.first_token_ms) : Number.NaN
    const clientFirst = num(r.t_first_token_ms)
    if (Number.isFinite(serverFirst) && Number.isFinite(clientFirst)) cols.client_overhead_ms.push(clientFirst - serverFirst)
    const itl = r.itl_ms
    if (Array.isArray(itl)) for (const g of itl) if (typeof g === 'number') cell.itl_ms.push(g)
  }
  cols.schedule_delay_ms.push(num(r.schedule_delay_ms))
  if (typeof r.input_tokens === 'number') cell.input_tokens += r.input_tokens
  if (typeof r.output_tokens === 'number') cell.output_tokens += r.output_tokens
  if (typeof r.cached_tokens === 'number') cell.cached_tokens += r.cached_tokens
  return true
}

// One streaming pass over (a byte range of) raw/requests.jsonl into cells.
export const scanRequestRange = async (path: string, range?: JsonlRange): Promise<RequestScan> => {
  const cells = new Map<string, RequestCell>()
  let invalid = 0
  const stats = await readJsonl(
    path,
    (row) => {
      if (!row || typeof row !== 'object' || !addRequest(cells, row as Record<string, unknown>)) invalid++
    },
    range,
  )
  lastCell = null
  lastCells = null
  return { cells, stats, invalid_records: invalid, threads: 1 }
}

export interface ScanOptions {
  /**
   * Worker threads for files above minParallelBytes. @default env TIERBENCH_REPORT_WORKERS, else one
   * per core (at most 4): on a quiet 2-core machine two workers cut 1M requests from 19 s to 15 s.
   */
  workers?: number
  /** Below this size one thread scans the file. @default 64 MiB */
  minParallelBytes?: number
}

// Cuts [0, size) into n ranges that start at line starts, so each worker parses whole lines.
export const lineAlignedRanges = (path: string, n: number): JsonlRange[] => {
  const size = statSync(path).size
  const cuts = [0]
  const fd = openSync(path, 'r')
  try {
    const buf = Buffer.alloc(1 << 16)
    for (let k = 1; k < n; k++) {
      let pos = Math.max(Math.floor((size * k) / n), cuts[cuts.length - 1]!)
      let found = -1
      while (pos < size && found < 0) {
        const got = readSync(fd, buf, 0, buf.length, pos)
        const i = buf.subarray(0, got).indexOf(10)
        if (i >= 0) found = pos + i + 1
        else pos += got
        if (got === 0) break
      }
      cuts.push(found < 0 ? size : found)
    }
  } finally {
    closeSync(fd)
  }
  cuts.push(size)
  return cuts.slice(0, -1).map((start, i) => ({ start, end: cuts[i + 1]! })).filter((r) => r.end > r.start)
}

const mergeInto = (into: Map<string, RequestCell>, from: Map<string, RequestCell>) => {
  for (const [key, c] of from) {
    const t = into.get(key)
    if (!t) {
      // Worker cells arrive with Float64Array columns; downstream code expects number[].
      const cols = Object.fromEntries(LATENCY_COLUMNS.map((n) => [n, Array.from(c.columns[n] as ArrayLike<number>)])) as RequestCell['columns']
      into.set(key, { ...c, columns: cols, itl_ms: Array.from(c.itl_ms as ArrayLike<number>), t_sent_ms: Array.from(c.t_sent_ms as ArrayLike<number>) })
      continue
    }
    t.count += c.count
    t.ok += c.ok
    for (const [k, v] of Object.entries(c.errors_by_class)) t.errors_by_class[k] = (t.errors_by_class[k] ?? 0) + v
    t.input_tokens += c.input_tokens
    t.output_tokens += c.output_tokens
    t.cached_tokens += c.cached_tokens
    t.t_first_sent_ms = Math.min(t.t_first_sent_ms, c.t_first_sent_ms)
    t.t_last_end_ms = Math.max(t.t_last_end_ms, c.t_last_end_ms)
    const append = (a: number[], b: ArrayLike<number>) => {
      for (let i = 0; i < b.length; i++) a.push(b[i]!)
    }
    for (const col of LATENCY_COLUMNS) append(t.columns[col], c.columns[col])
    append(t.itl_ms, c.itl_ms)
    append(t.t_sent_ms, c.t_sent_ms)
  }
}

const WORKER_URL = new URL('./request-scan-worker.ts', import.meta.url)

const runWorker = (path: string, range: JsonlRange): Promise<RequestScan> => {
  // A worker does not inherit a TypeScript loader, and `--import tsx` in its execArgv registers too
  // late for its entry module on Node 20; so a tiny eval'd bootstrap registers tsx, then imports it.
  // The ESM build of tsx's API: require.resolve would give the CJS one, which breaks inside a worker.
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(WORKER_URL.href)}) })`
  return new Promise((resolve, reject) => {
    const w = new Worker(boot, { eval: true, workerData: { path, range } })
    w.once('message', (m: { cells: [string, RequestCell][]; stats: JsonlReadStats; invalid_records: number }) =>
      resolve({ cells: new Map(m.cells), stats: m.stats, invalid_records: m.invalid_records }),
    )
    w.once('error', reject)
    w.once('exit', (code) => code !== 0 && reject(new Error(`Expected the request-scan worker to exit 0, got ${code}`)))
  })
}

// JSON.parse is most of a 10^6-line scan and cannot be made cheaper, so large files are cut into
// line-aligned ranges parsed by worker threads and merged in file order (column alignment kept).
export const scanRequests = async (path: string, opts: ScanOptions = {}): Promise<RequestScan> => {
  let size = 0
  try {
    size = statSync(path).size
  } catch {
    return scanRequestRange(path)
  }
  const fromEnv = Number(process.env.TIERBENCH_REPORT_WORKERS)
  const n = Math.max(1, Math.min(opts.workers ?? (fromEnv > 0 ? fromEnv : Math.min(4, availableParallelism())), availableParallelism() * 2, 16))
  if (n === 1 || size < (opts.minParallelBytes ?? 64 * 1024 * 1024)) return scanRequestRange(path)
  const ranges = lineAlignedRanges(path, n)
  let parts: RequestScan[]
  try {
    parts = await Promise.all(ranges.map((r) => runWorker(path, r)))
  } catch {
    return scanRequestRange(path) // no worker support here: one thread is slower but right
  }
  const cells = new Map<string, RequestCell>()
  const stats: JsonlReadStats = { rows: 0, bad_lines: 0, truncated_last: 0, bad_line_numbers: [] }
  let invalid = 0
  parts.forEach((p, i) => {
    mergeInto(cells, p.cells)
    stats.rows += p.stats.rows
    stats.bad_lines += p.stats.bad_lines
    // Only the file's last line can be cut off by a crash; elsewhere an unparseable last line is bad.
    if (i === parts.length - 1) stats.truncated_last = p.stats.truncated_last
    else stats.bad_lines += p.stats.truncated_last
    invalid += p.invalid_records
  })
  return { cells, stats, invalid_records: invalid, threads: parts.length }
}

export const stepLabel = (step: Record<string, number | string> | undefined): string =>
  step ? Object.entries(step).map(([k, v]) => `${k}=${v}`).join(',') : ''
