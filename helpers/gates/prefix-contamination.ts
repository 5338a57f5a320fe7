import type { RequestRecord } from '../client/request-record'
import type { Gate } from './gate'

// Against any server with a prefix cache, a request meant to be cold must be cold. Each nonced
// request carries the most cached tokens its workload intends (reusable_tokens_max: the template
// head before the nonce); a server reporting more served a prompt the workload meant to be new,
// and the phase's latencies measure the cache, not the load. Requests without a bound (shared
// prefixes, repeats) or without a server-reported cached count are not checked.

export const GATE_PREFIX_CACHE_CONTAMINATION: Gate = {
  id: 'prefix_cache_contamination',
  metric: 'contaminated_requests',
  expr: 'value==0',
  severity: 'hard',
  reason_code: 'PREFIX_CACHE_CONTAMINATION',
  reason: 'Requests meant to be cold were served from a prefix cache beyond what the workload intends to be reusable: their latencies measure the cache, not the load.',
  blocker_group: 'run_validity',
  // Servers that report no cached tokens, and workloads without cold prompts, give nothing to check.
  allow_no_data: true,
}

export interface ContaminationInput {
  value: number | null
  details: Record<string, unknown>
}

export const prefixContamination = (records: readonly RequestRecord[]): ContaminationInput => {
  const checked = records.filter((r) => r.ok && r.reusable_tokens_max !== undefined && r.cached_tokens !== null)
  const bad = checked.filter((r) => (r.cached_tokens as number) > (r.reusable_tokens_max as number))
  const worst = [...bad].sort((a, b) => (b.cached_tokens as number) - (a.cached_tokens as number))[0]
  return {
    value: checked.length ? bad.length : null,
    details: {
      checked: checked.length,
      contaminated: bad.length,
      cached_tokens_total: records.reduce((s, r) => s + (r.cached_tokens ?? 0), 0),
      ...(worst
        ? { worst: { request_id: worst.request_id, cached_tokens: worst.cached_tokens, reusable_tokens_max: worst.reusable_tokens_max, prompt_tokens: worst.input_tokens } }
        : {}),
    },
  }
}
