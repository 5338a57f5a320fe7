import { percentile } from '../analysis/percentile'
import type { Aggregation } from './parse-expr'

// k6 aggregations over a gate's samples. `rate` is the share of non-zero samples (k6 Rate metric:
// pass per-request booleans as 1/0); `value` is the last sample (k6 Gauge); `med` and `p(N)` use
// the one percentile method of helpers/analysis/percentile.ts. Null when there is nothing to read.
export const aggregate = (agg: Aggregation, values: readonly number[]): number | null => {
  const xs = values.filter((v) => Number.isFinite(v))
  if (agg.kind === 'count') return xs.length
  if (xs.length === 0) return null
  switch (agg.kind) {
    case 'avg':
      return xs.reduce((a, b) => a + b, 0) / xs.length
    case 'min':
      return xs.reduce((a, b) => (b < a ? b : a), Infinity)
    case 'max':
      return xs.reduce((a, b) => (b > a ? b : a), -Infinity)
    case 'med':
      return percentile(xs, 50)
    case 'p':
      return percentile(xs, agg.p)
    case 'rate':
      return xs.filter((v) => v !== 0).length / xs.length
    case 'value':
      return xs[xs.length - 1]
  }
}
