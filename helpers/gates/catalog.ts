import { Gate } from './gate'

// Every gate of the test plans, as data. Suites use these constants (spread to tighten a
// threshold: `{ ...GATE_ERROR_RATE, expr: 'rate<=0' }`), the reporter prints GATE_CATALOG, and
// docs/analysis-and-gates.md carries gateCatalogMarkdown(). Sources: v3.0 plan §10 quality gates
// (seed 000), canonical plan P6/W3 and the evidence chain (seed 002), the prior harness's
// Phase60/70 codes (prior-harness-catalog.md §4–5), the GB10 wrong-answer case (dynamo-kvbm.md §7).

const gate = (g: Gate): Gate => Gate.parse(g)

const KVBM_MODES = ['B1', 'B2', 'B2p', 'B3'] as ('B1' | 'B2' | 'B2p' | 'B3')[]
const DISK_MODES = ['B2', 'B2p', 'B3'] as ('B2' | 'B2p' | 'B3')[]

// --- run validity (P6 hard fail: the run is invalid) ---

export const GATE_ERROR_RATE = gate({
  id: 'error_rate',
  metric: 'error_rate',
  expr: 'rate<=0.01',
  severity: 'hard',
  reason_code: 'ERROR_RATE_HIGH',
  reason: 'More than 1 % of requests failed; latency figures of a failing server are not evidence (P6 hard fail).',
  blocker_group: 'run_validity',
})

export const GATE_MODEL_PRESENT = gate({
  id: 'model_present',
  metric: 'models_listed',
  expr: 'min>=1',
  severity: 'hard',
  reason_code: 'MODEL_DROPPED',
  reason: 'The model must stay listed in /v1/models through every phase; an unregistered worker serves nothing (P6 hard fail).',
  blocker_group: 'run_validity',
})

export const GATE_KVBM_METRICS = gate({
  id: 'kvbm_metrics_reachable',
  metric: 'kvbm_metrics_reachable',
  expr: 'min==1',
  severity: 'hard',
  reason_code: 'KVBM_METRICS_MISSING',
  reason: 'A KVBM mode needs its /metrics counters at every phase boundary; without them nothing about the mechanism can be shown (P6 hard fail).',
  blocker_group: 'run_validity',
  // llama.cpp exports no KVBM counters at all: its llamacpp:* names are checked when the mode is verified.
  applies_to: { modes: KVBM_MODES, targets: ['emulator', 'external', 'vllm', 'sglang', 'dynamo'] },
})

export const GATE_REQUEST_STALL = gate({
  id: 'request_stall',
  metric: 'stalled_requests',
  expr: 'value==0',
  severity: 'hard',
  reason_code: 'REQUEST_STALL',
  reason: 'Requests timed out or were truncated mid-stream: the server stalled (health can stay 200 while the engine is stuck).',
  blocker_group: 'run_validity',
})

export const GATE_SCHEDULE_DELAY = gate({
  id: 'client_schedule_delay',
  metric: 'schedule_delay_ms',
  expr: 'p(99)<=50',
  severity: 'hard',
  reason_code: 'CLIENT_BOTTLENECK',
  reason: 'The load generator sent requests late (schedule delay p99 over 50 ms): the client, not the server, limited the load.',
  blocker_group: 'run_validity',
})

export const GATE_CLIENT_OVERHEAD = gate({
  id: 'client_overhead',
  metric: 'client_overhead_ms',
  expr: 'p(99)<=50',
  severity: 'hard',
  reason_code: 'CLIENT_BOTTLENECK',
  reason: 'Client first token trails the server first token by over 50 ms at p99: client parsing or event-loop lag inflates TTFT.',
  blocker_group: 'run_validity',
  allow_no_data: true,
})

// --- repeatability (v3.0 §10) ---

export const GATE_COV_P99 = gate({
  id: 'cov_p99',
  metric: 'ttft_p99_cov_pct',
  expr: 'value<10',
  severity: 'hard',
  reason_code: 'UNSTABLE_REPETITIONS',
  reason: 'TTFT p99 varies by 10 % or more (CoV) across repetitions: the effect cannot be separated from run-to-run noise.',
  blocker_group: 'reproducibility_failure',
  evidence_role: 'repeatability',
})

export const GATE_REPRODUCIBLE_P99 = gate({
  id: 'reproducible_p99',
  metric: 'ttft_p99_max_rel_dev_pct',
  expr: 'value<=5',
  severity: 'hard',
  reason_code: 'NOT_REPRODUCIBLE',
  reason: 'A repetition strays more than 5 % from the mean TTFT p99 of the repetitions.',
  blocker_group: 'reproducibility_failure',
  evidence_role: 'repeatability',
})

export const GATE_ORDER_EFFECT = gate({
  id: 'order_effect',
  metric: 'order_effect_sd',
  expr: 'value<1',
  severity: 'hard',
  reason_code: 'ORDER_EFFECT_SUSPECT',
  reason: 'AB and BA pairs disagree by a pooled SD or more: which mode ran first changes the result (warm caches, thermal drift).',
  blocker_group: 'reproducibility_failure',
  evidence_role: 'repeatability',
})

export const GATE_PAIR_COUNT = gate({
  id: 'pair_count',
  metric: 'pairs',
  expr: 'value>=6',
  severity: 'soft',
  reason_code: 'ORDER_EFFECT_INSUFFICIENT_PAIRS',
  reason: 'Fewer than 6 AB/BA pairs: too few for the order-effect check and for the paired tests to have power.',
  blocker_group: 'reproducibility_failure',
})

export const GATE_USER_IMPACT = gate({
  id: 'user_visible_impact',
  metric: 'ttft_p99_paired_delta_ci_hi_ms',
  expr: 'value<0',
  severity: 'soft',
  reason_code: 'NO_USER_VISIBLE_IMPACT',
  reason: 'The upper bound of the paired CI of the TTFT p99 delta (mode under test − control) is not below 0: no user-visible improvement survives the noise.',
  blocker_group: 'reproducibility_failure',
  evidence_role: 'user_impact',
})

export const GATE_P99_DELTA_CI = gate({
  id: 'ttft_p99_delta_ci',
  metric: 'ttft_p99_delta_ci_lo_ms',
  expr: 'value>0',
  severity: 'soft',
  reason_code: 'NO_USER_VISIBLE_IMPACT',
  reason: 'The lower bound of the bootstrap 95 % CI of the TTFT p99 difference (compared step or mode − reference) is not above 0: the claimed latency change is not visible to users beyond the noise.',
  blocker_group: 'reproducibility_failure',
  evidence_role: 'user_impact',
})

// --- measurement quality and attribution ---

export const GATE_ALIGNMENT = gate({
  id: 'aligned_samples',
  metric: 'aligned_pct',
  expr: 'min>=95',
  severity: 'hard',
  reason_code: 'ALIGNMENT_LOW',
  reason: 'Under 95 % of latency samples have a telemetry (sysmon, KVBM) sample within one cadence: storage and KV figures cannot be tied to requests.',
  blocker_group: 'attribution_failure',
})

export const GATE_ATTRIBUTION = gate({
  id: 'io_attribution',
  metric: 'attributed_io_pct',
  expr: 'value>=80',
  severity: 'soft',
  reason_code: 'ATTRIBUTION_LOW',
  reason: 'Under 80 % of the device bytes in the phase belong to the serving process/cgroup: the disk IO may be journaling, page cache or other tenants.',
  blocker_group: 'attribution_failure',
  applies_to: { modes: DISK_MODES },
  evidence_role: 'os_corroboration',
})

export const GATE_DISK_IO_CORROBORATED = gate({
  id: 'disk_io_corroborated',
  metric: 'disk_read_bytes_ratio',
  expr: 'value>=0.5',
  severity: 'soft',
  reason_code: 'DISK_IO_UNCORROBORATED',
  reason: 'Observed disk reads are under half of what Δonboard_blocks_d2d × block bytes predicts: KVBM claims disk reads the OS did not see (P6 soft fail).',
  blocker_group: 'attribution_failure',
  applies_to: { modes: DISK_MODES },
  evidence_role: 'os_corroboration',
})

// --- control (disk tier off must really be off) ---

export const GATE_STACK_A_DISK_FLAT = gate({
  id: 'stack_a_disk_flat',
  metric: 'r_s_excess_over_idle_pct',
  expr: 'value<=10',
  severity: 'hard',
  reason_code: 'STACK_A_DISK_ACTIVITY',
  reason: 'Without a disk KV tier, NVMe reads/s must stay within 10 % of idle (v3.0 §10 sanity check); otherwise something else drives the disk.',
  blocker_group: 'control_gap',
  applies_to: { modes: ['B0', 'B1'] },
  evidence_role: 'os_corroboration',
})

export const GATE_B1_NO_DISK_TIER = gate({
  id: 'b1_no_disk_tier',
  metric: 'disk_tier_tokens',
  expr: 'value==0',
  severity: 'hard',
  reason_code: 'B1_DISK_TIER_ACTIVE',
  reason: 'B1 (host tier only) moved KV to or from disk (normalised tier counters, else files held open under the cache dir): the control leg inherited a disk tier and the A/B compares nothing.',
  blocker_group: 'control_gap',
  // llama.cpp has no disk tier to leak into B1 (checked when its mode is verified).
  applies_to: { modes: ['B1'], targets: ['emulator', 'external', 'vllm', 'sglang', 'dynamo'] },
})

// --- mechanism (normalised tier counters of any backend, helpers/analysis/mechanism.ts; OS evidence
// where the backend has no counter; host onboarding is never disk) ---

export const GATE_DISK_OFFLOAD = gate({
  id: 'disk_offload',
  metric: 'disk_offload_tokens',
  expr: 'value>0',
  severity: 'hard',
  reason_code: 'NO_DISK_OFFLOAD',
  reason: 'A disk-tier mode wrote nothing to disk (Δoffload host→disk + device→disk = 0, or no engine writes to the cache dir): the pressure never reached the SSD.',
  blocker_group: 'mechanism_invisibility',
  applies_to: { modes: DISK_MODES },
  evidence_role: 'mechanism',
})

export const GATE_DISK_REHYDRATE = gate({
  id: 'disk_rehydrate',
  metric: 'disk_onboard_tokens',
  expr: 'value>0',
  severity: 'hard',
  reason_code: 'NO_DISK_REHYDRATE',
  reason: 'Nothing came back from disk in the replay (Δonboard disk→device = 0, or no O_DIRECT reads by the engine): writes alone are not SSD value (host onboarding does not count).',
  blocker_group: 'mechanism_invisibility',
  applies_to: { modes: DISK_MODES },
  evidence_role: 'mechanism',
})

export const GATE_KV_REUSE = gate({
  id: 'kv_reuse',
  metric: 'offload_cached_tokens',
  expr: 'value>0',
  severity: 'hard',
  reason_code: 'NO_KV_REUSE',
  reason: 'The workload created reuse opportunities but the offload tiers served no prompt tokens: it was a bad reuse test (W3).',
  blocker_group: 'mechanism_invisibility',
  // llama.cpp has no KVBM counters; its suites gate the server's own cached-token reports instead.
  applies_to: { modes: KVBM_MODES, targets: ['emulator', 'external', 'vllm', 'sglang', 'dynamo'] },
  evidence_role: 'mechanism',
})

export const GATE_TIER2_HITS = gate({
  id: 'tier2_hits_at_knee',
  metric: 'tier2_hit_pct',
  expr: 'value>=20',
  severity: 'hard',
  reason_code: 'TIER2_HITS_LOW',
  reason: 'At the knee, under 20 % of onboarded KV came from disk (disk / (disk + host) onboard tokens): the knee is not a storage knee (v3.0 §10).',
  blocker_group: 'mechanism_invisibility',
  applies_to: { modes: DISK_MODES },
  evidence_role: 'mechanism',
})

export const GATE_INTEGRITY = gate({
  id: 'answer_integrity',
  metric: 'integrity_failures',
  expr: 'value==0',
  severity: 'hard',
  reason_code: 'KV_CORRUPTION',
  reason: 'A warm (cache-served) temperature-0 answer differs from the cold answer to the same prompt: the KV tier returns corrupt blocks whatever its counters say (GB10 SSD case).',
  blocker_group: 'mechanism_invisibility',
  evidence_role: 'answer_integrity',
})

// --- long context (dataset L) ---

export const GATE_LONG_CONTEXT = gate({
  id: 'long_context_available',
  metric: 'long_context_ok',
  expr: 'min==1',
  severity: 'hard',
  reason_code: 'LONG_CONTEXT_UNAVAILABLE',
  reason: 'The target could not serve a >= 32k-token request (engine max_num_tokens or build limit): dataset L is blocked.',
  blocker_group: 'long_context_enablement_failure',
})

export const GATE_CATALOG: readonly Gate[] = [
  GATE_ERROR_RATE,
  GATE_MODEL_PRESENT,
  GATE_KVBM_METRICS,
  GATE_REQUEST_STALL,
  GATE_SCHEDULE_DELAY,
  GATE_CLIENT_OVERHEAD,
  GATE_COV_P99,
  GATE_REPRODUCIBLE_P99,
  GATE_ORDER_EFFECT,
  GATE_PAIR_COUNT,
  GATE_USER_IMPACT,
  GATE_P99_DELTA_CI,
  GATE_ALIGNMENT,
  GATE_ATTRIBUTION,
  GATE_DISK_IO_CORROBORATED,
  GATE_STACK_A_DISK_FLAT,
  GATE_B1_NO_DISK_TIER,
  GATE_DISK_OFFLOAD,
  GATE_DISK_REHYDRATE,
  GATE_KV_REUSE,
  GATE_TIER2_HITS,
  GATE_INTEGRITY,
  GATE_LONG_CONTEXT,
]

export const gateById = (id: string): Gate => {
  const g = GATE_CATALOG.find((x) => x.id === id)
  if (!g) throw new Error(`Expected a gate id from GATE_CATALOG, got "${id}"`)
  return g
}

const cell = (s: string): string => s.replace(/\|/g, '\\|')

/** Markdown table of the catalog (README and docs/analysis-and-gates.md). */
export const gateCatalogMarkdown = (gates: readonly Gate[] = GATE_CATALOG): string => {
  const head = '| id | metric | expression | severity | reason code | blocker group | applies to | evidence role | why |\n|---|---|---|---|---|---|---|---|---|'
  const rows = gates.map((g) => {
    const applies = [g.applies_to?.modes?.join(', '), g.applies_to?.targets?.join(', ')].filter(Boolean).join('; ') || 'all'
    const noData = g.allow_no_data ? ' (no data allowed)' : ''
    return `| \`${g.id}\` | \`${g.metric}\` | \`${cell(g.expr)}\` | ${g.severity}${noData} | \`${g.reason_code}\` | ${g.blocker_group} | ${applies} | ${g.evidence_role ?? '—'} | ${cell(g.reason)} |`
  })
  return [head, ...rows].join('\n') + '\n'
}

/** Preflight of a phase with a working-set claim: the working set must overflow the upper tiers it names. */
export const GATE_WORKING_SET = gate({
  id: 'working_set_exceeds_upper_tiers',
  metric: 'working_set_over_upper_tiers',
  expr: 'value>=1',
  severity: 'hard',
  reason_code: 'WORKING_SET_FITS_UPPER_TIERS',
  reason: "A working set that fits the device (+ host) tier can never reach the disk tier: the phase fails before load, as a setup problem with the harness's numbers, not as a platform blocker.",
  blocker_group: 'harness_setup',
  // A target whose capacities are unknown (external, nothing declared) cannot refute the claim: no data, said so.
  allow_no_data: true,
})

/** Preflight before a worker starts: the tier plan must fit the machine's memory and the cache filesystem's free space. */
export const GATE_TIER_PLAN_FITS = gate({
  id: 'tier_plan_fits_machine',
  metric: 'tier_plan_fits_machine',
  expr: 'value==1',
  severity: 'hard',
  reason_code: 'TIER_PLAN_EXCEEDS_MACHINE',
  reason: 'A host tier larger than memory or a disk tier larger than the free space fails later as an OOM kill or ENOSPC; refused before the worker starts.',
  blocker_group: 'harness_setup',
})
