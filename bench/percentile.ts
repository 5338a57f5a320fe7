// Micro-benchmarks of the analysis hot paths (npm run bench:percentile): exact summaries of 10^5
// and 10^6 samples (one Float64Array sort), the streaming histogram, quickselect, a 10^5-sample
// bootstrap with B = 1000, and a paired analysis. Knobs: BENCH_TIME_MS (default 500).
import { Bench } from 'tinybench'
import { bootstrapPercentileCis } from '../helpers/analysis/bootstrap'
import { LogHistogram } from '../helpers/analysis/log-histogram'
import { pairedStats } from '../helpers/analysis/paired'
import { selectPercentile, summarize } from '../helpers/analysis/percentile'
import { seededRandom } from '../helpers/analysis/seeded-random'

const rand = seededRandom(1)
const exp = (n: number) => Float64Array.from({ length: n }, () => -Math.log(1 - rand()) * 50)
const s1e5 = exp(100_000)
const s1e6 = exp(1_000_000)
const work = new Float64Array(s1e6.length)
const pairs = Array.from({ length: 10 }, (_, i) => ({ a: 100 + rand() * 10, b: 95 + rand() * 10, order: (i % 2 ? 'BA' : 'AB') as 'AB' | 'BA' }))

const time = Number(process.env.BENCH_TIME_MS ?? 500)
// Few iterations: the 10^6 sort and the bootstrap take seconds each on a shared 2-core box.
const bench = new Bench({ name: 'analysis percentiles', time, iterations: 5, warmup: true })
let sink = 0
bench
  .add('summarize 10^5 (exact: copy + sort + 6 reads)', () => {
    sink += summarize(s1e5).p99 ?? 0
  })
  .add('summarize 10^6 (exact)', () => {
    sink += summarize(s1e6).p99 ?? 0
  })
  .add('quickselect p99 of 10^6', () => {
    work.set(s1e6)
    sink += selectPercentile(work, work.length, 99) ?? 0
  })
  .add('LogHistogram add 10^6 + summary', () => {
    const h = new LogHistogram()
    h.addAll(s1e6)
    sink += h.summary().p99 ?? 0
  })
  .add('bootstrap p50/p95/p99 CIs, 10^5 samples, B=1000', () => {
    sink += bootstrapPercentileCis(s1e5, { B: 1000 }).p99.hi ?? 0
  })
  .add('pairedStats, 10 pairs (t, bootstrap B=1000, sign, Wilcoxon exact)', () => {
    sink += pairedStats(pairs).mean_delta ?? 0
  })
await bench.run()
console.table(bench.table())
console.log(`sink=${sink > 0}`)
