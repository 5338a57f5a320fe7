import { counterDelta } from './counter-delta'
import { type PromFamily, type PromParseResult } from './prometheus-parser'

// Phase deltas of KVBM and Dynamo-frontend scrapes. Counters are diffed (resets flagged); the
// windowed hit-rate gauges are recorded as `<name>_after` and never used as phase evidence.
// Disk rehydrate is Δkvbm_onboard_blocks_d2d alone: host-tier (G2) onboarding is not disk.
export const KVBM_EXPECTED_COUNTERS = [
  'kvbm_offload_blocks_d2h',
  'kvbm_offload_blocks_h2d',
  'kvbm_offload_blocks_d2d',
  'kvbm_onboard_blocks_h2d',
  'kvbm_onboard_blocks_d2d',
  'kvbm_matched_tokens',
]
export const KVBM_EXPECTED_GAUGES = ['kvbm_host_cache_hit_rate', 'kvbm_disk_cache_hit_rate']

export const FRONTEND_EXPECTED = [
  'requests_total',
  'output_tokens_total',
  'time_to_first_token_seconds',
  'inter_token_latency_seconds',
  'request_duration_seconds',
  'input_sequence_tokens',
  'output_sequence_tokens',
]
/** Newer builds call it cached_tokens, older docs cached_sequence_length: either satisfies. */
export const FRONTEND_CACHED_ALIASES = ['cached_tokens', 'cached_sequence_length']

export interface PromPhaseDeltas {
  deltas: Record<string, number | null> | null
  missing: string[]
  resets: string[]
}

const sumBy = (f: PromFamily | undefined, sampleName: string, filter?: (l: Record<string, string>) => boolean) => {
  if (!f) return null
  const xs = f.samples.filter((s) => s.name === sampleName && (!filter || filter(s.labels)))
  return xs.length ? xs.reduce((a, s) => a + s.value, 0) : null
}

/** Δ of a (possibly labelled) series group, with a reset detected per label set. */
const familyDelta = (a: PromFamily | undefined, b: PromFamily | undefined, sampleName: string) => {
  if (!b) return { delta: null, reset: false }
  let total = 0
  let reset = false
  let any = false
  for (const s of b.samples.filter((x) => x.name === sampleName)) {
    const key = JSON.stringify(s.labels)
    const prev = a?.samples.find((x) => x.name === sampleName && JSON.stringify(x.labels) === key)
    // A series that appears mid-phase started from 0.
    const d = counterDelta(prev ? prev.value : 0, s.value)
    if (d.delta === null) continue
    any = true
    total += d.delta
    reset ||= d.reset
  }
  return { delta: any ? total : null, reset }
}

const isCounterLike = (f: PromFamily) => f.type === 'counter' || (f.type === 'untyped' && !/hit_rate|_ratio$|_percent/.test(f.name))

export const kvbmPhaseDeltas = (start: PromParseResult | null, end: PromParseResult | null): PromPhaseDeltas => {
  if (!end) return { deltas: null, missing: [...KVBM_EXPECTED_COUNTERS, ...KVBM_EXPECTED_GAUGES], resets: [] }
  const deltas: Record<string, number | null> = {}
  const resets: string[] = []
  const fam = (p: PromParseResult | null, n: string) => p?.families.get(n)
  for (const f of end.families.values()) {
    if (!f.name.startsWith('kvbm_')) continue
    if (f.type === 'gauge' || !isCounterLike(f)) {
      deltas[`${f.name}_after`] = sumBy(f, f.name)
      continue
    }
    const d = start ? familyDelta(fam(start, f.name), f, f.name) : { delta: null, reset: false }
    deltas[`${f.name}_delta`] = d.delta
    if (d.reset) resets.push(f.name)
  }
  const missing = [...KVBM_EXPECTED_COUNTERS, ...KVBM_EXPECTED_GAUGES].filter((n) => !end.families.has(n))
  for (const n of KVBM_EXPECTED_COUNTERS) if (!end.families.has(n)) deltas[`${n}_delta`] = null
  for (const n of KVBM_EXPECTED_GAUGES) if (!end.families.has(n)) deltas[`${n}_after`] = null
  const add = (...ks: string[]) => {
    const vs = ks.map((k) => deltas[`${k}_delta`])
    return vs.some((v) => v == null) ? null : vs.reduce((a, v) => a! + v!, 0)
  }
  deltas.kvbm_disk_onboard_blocks_delta = deltas.kvbm_onboard_blocks_d2d_delta ?? null
  deltas.kvbm_host_onboard_blocks_delta = deltas.kvbm_onboard_blocks_h2d_delta ?? null
  deltas.kvbm_disk_offload_blocks_delta = add('kvbm_offload_blocks_h2d', 'kvbm_offload_blocks_d2d')
  return { deltas, missing, resets }
}

export const frontendPhaseDeltas = (
  start: PromParseResult | null,
  end: PromParseResult | null,
  prefix = 'dynamo_frontend_',
): PromPhaseDeltas => {
  const expected = FRONTEND_EXPECTED.map((n) => prefix + n)
  if (!end) return { deltas: null, missing: [...expected, prefix + FRONTEND_CACHED_ALIASES[0]], resets: [] }
  const deltas: Record<string, number | null> = {}
  const resets: string[] = []
  for (const f of end.families.values()) {
    if (!f.name.startsWith(prefix)) continue
    const a = start?.families.get(f.name)
    const put = (key: string, sample: string) => {
      const d = start ? familyDelta(a, f, sample) : { delta: null, reset: false }
      deltas[key] = d.delta
      if (d.reset) resets.push(sample)
    }
    if (f.type === 'histogram' || f.type === 'summary') {
      put(`${f.name}_sum_delta`, `${f.name}_sum`)
      put(`${f.name}_count_delta`, `${f.name}_count`)
    } else if (f.type === 'counter' || (f.type === 'untyped' && f.name.endsWith('_total'))) {
      put(`${f.name}_delta`, f.name)
      // Errors hide inside requests_total: split by status so they show up per phase.
      for (const status of new Set(f.samples.map((s) => s.labels.status).filter(Boolean))) {
        const only = (p: PromFamily | undefined) => (p ? { ...p, samples: p.samples.filter((s) => s.labels.status === status) } : undefined)
        const d = start ? familyDelta(only(a), only(f), f.name) : { delta: null, reset: false }
        deltas[`${f.name}_status_${status}_delta`] = d.delta
      }
    } else {
      deltas[`${f.name}_after`] = sumBy(f, f.name)
    }
  }
  const missing = expected.filter((n) => !end.families.has(n))
  if (!FRONTEND_CACHED_ALIASES.some((n) => end.families.has(prefix + n))) missing.push(prefix + FRONTEND_CACHED_ALIASES[0])
  return { deltas, missing, resets }
}
