import { parentPort, workerData } from 'node:worker_threads'
import type { JsonlRange } from './read-jsonl'
import { scanRequestRange } from './request-cells'

// Worker side of scanRequests: parses one line-aligned byte range of raw/requests.jsonl.
const { path, range } = workerData as { path: string; range: JsonlRange }
const res = await scanRequestRange(path, range)
// Columns travel as transferred Float64Arrays: structured-cloning 10^6-element number arrays costs
// more than the parse it saves.
const transfer: ArrayBuffer[] = []
const f64 = (a: number[]) => {
  const t = Float64Array.from(a)
  transfer.push(t.buffer)
  return t
}
const cells = [...res.cells].map(([k, c]) => [
  k,
  { ...c, columns: Object.fromEntries(Object.entries(c.columns).map(([n, v]) => [n, f64(v)])), itl_ms: f64(c.itl_ms), t_sent_ms: f64(c.t_sent_ms) },
])
parentPort!.postMessage({ cells, stats: res.stats, invalid_records: res.invalid_records }, transfer)
