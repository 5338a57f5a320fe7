import { describe, expect, test } from 'vitest'
import type { PhaseOutcome } from '../../../helpers/suite/define-hypothesis'
import { emptyTierCounters, type TierCounters } from '../../../helpers/backends/tier-counters'
import { comparePredicted, ratioOrNull } from '../../../helpers/trace/predicted-vs-measured'

const prediction = { device_hit_tokens: 1000, host_hit_tokens: 500, disk_hit_tokens: 320, cached_tokens: 1820, prompt_tokens: 5000, token_hit_ratio: 0.364, disk_read_bytes: 320 * 1000, disk_read_bytes_per_s: null }
const base = { mode: 'B2', emulated: true, prediction, tokensPerBlock: 32, plannedDurationS: 4, rows: { sent: 10, skipped: 1, clipped: 0, skippedAtRunTime: 0 } }

// A phase outcome reduced to the fields the comparison reads.
const outcome = (kvbm: Record<string, number | null> | null, cached: number, io: Record<string, number | null> | null): PhaseOutcome =>
  ({
    record: { t_start_ms: 0, t_end_ms: 5000, deltas: { kvbm, process_io: io, block_device: { read_bytes: 7 } } },
    summary: { cached_tokens: cached, ttft_ms: { p50: 10, p99: 30 } },
  }) as unknown as PhaseOutcome

// An outcome with normalised tier deltas (deltas.tiers) and per-request cached counts (null = not reported).
const withTiers = (tiers: Partial<TierCounters> | null, requestCached: (number | null)[], cached = 0): PhaseOutcome =>
  ({
    record: { t_start_ms: 0, t_end_ms: 5000, deltas: { tiers: tiers ? { ...emptyTierCounters(), ...tiers } : null } },
    summary: { cached_tokens: cached, ttft_ms: { p50: 10, p99: 30 } },
    requests: requestCached.map((c) => ({ ok: true, cached_tokens: c })),
  }) as unknown as PhaseOutcome

describe('predicted vs measured', () => {
  test('reads host and disk from normalised cached-by-source counters, before onboard counters', () => {
    const r = comparePredicted(withTiers({ cached_prompt_tokens_host: 400, cached_prompt_tokens_disk: 300, onboard_disk_to_device_tokens: 999 }, [1000, 700], 1700), base)
    expect(r).toMatchObject({ measured_cached_tokens: 1700, measured_host_tokens: 400, measured_disk_tokens: 300, measured_device_tokens: 1000 })
    expect(r.measured_cached_source).toMatch(/responses/)
    expect(r.measured_by_source_basis).toContain('cached_prompt_tokens_disk')
    expect(r.disk_measured_over_predicted).toBeCloseTo(300 / 320)
  })

  test('llama.cpp: no per-response counts and only the cached total counter; the split by source stays unavailable', () => {
    const r = comparePredicted(withTiers({ cached_prompt_tokens_total: 1500 }, [null, null]), { ...base, mode: 'B1', tiers: { host: true, disk: false } })
    expect(r).toMatchObject({ measured_cached_tokens: 1500, measured_device_tokens: null, measured_host_tokens: null, measured_disk_tokens: null, measured_offload_tokens: null })
    expect(r.measured_cached_source).toBe('counter cached_prompt_tokens_total')
    expect(r.counter_cached_tokens).toBe(1500)
    // B0 has no lower tier: the whole cached total came from the device.
    const b0 = comparePredicted(withTiers({ cached_prompt_tokens_total: 1500 }, [null]), { ...base, mode: 'B0', tiers: { host: false, disk: false } })
    expect(b0.measured_device_tokens).toBe(1500)
  })

  test('without a disk counter, disk-tier reads the OS proves (O_DIRECT) count as tokens at the target KV bytes; unproven reads stay null', () => {
    const os = (o_direct_confirmed: number | null) =>
      ({ ...withTiers({ cached_prompt_tokens_offloaded: 600 }, [900, 800], 1700), record: { t_start_ms: 0, t_end_ms: 5000, deltas: { tiers: { ...emptyTierCounters(), cached_prompt_tokens_offloaded: 600 }, tier_os: { process_read_bytes: 64_000, cache_dir_files_after: 3, cache_open_files: 1, o_direct_confirmed } } } }) as unknown as PhaseOutcome
    const r = comparePredicted(os(1), { ...base, kvBytesPerToken: 1000, bytesDivisor: 5 })
    expect(r.measured_disk_tokens).toBe(320)
    expect(r.disk_measured_over_predicted).toBeCloseTo(1)
    expect(r.measured_by_source_basis).toMatch(/disk: OS .*O_DIRECT/)
    expect(comparePredicted(os(null), { ...base, kvBytesPerToken: 1000 }).measured_disk_tokens).toBeNull()
    // A mode without a disk tier never reads the OS as disk hits.
    expect(comparePredicted(os(1), { ...base, kvBytesPerToken: 1000, tiers: { host: true, disk: false } }).measured_disk_tokens).toBeNull()
  })

  test('an offload total without the split gives the device share; no counter and no reported count is no data, not 0', () => {
    const r = comparePredicted(withTiers({ cached_prompt_tokens_offloaded: 600 }, [900, 800], 1700), base)
    expect(r).toMatchObject({ measured_device_tokens: 1100, measured_offload_tokens: 600, measured_host_tokens: null, measured_disk_tokens: null })
    const none = comparePredicted(withTiers(null, [null, null]), base)
    expect(none).toMatchObject({ measured_cached_tokens: null, cached_measured_over_predicted: null, measured_device_tokens: null, measured_cached_source: null })
  })

  test('records without normalised tiers fall back to KVBM onboards (32-token blocks) and scales predicted bytes to the target', () => {
    const r = comparePredicted(outcome({ onboard_blocks_h2d: 10, onboard_blocks_d2d: 5 }, 1700, { read_bytes: 1000 }), { ...base, bytesDivisor: 20 })
    expect(r).toMatchObject({ measured_host_tokens: 320, measured_disk_tokens: 160, measured_device_tokens: 1220, measured_cached_tokens: 1700 })
    expect(r.cached_measured_over_predicted).toBeCloseTo(1700 / 1820)
    expect(r.disk_measured_over_predicted).toBeCloseTo(0.5)
    expect(r.predicted_disk_read_bytes_per_s).toBe(80_000)
    expect(r.predicted_disk_read_bytes_per_s_at_target).toBe(4_000)
    expect(r).toMatchObject({ measured_disk_read_bytes_per_s: 200, measured_disk_read_source: 'process_io.read_bytes', ttft_p50_ms: 10, ttft_p99_ms: 30 })
  })

  test('missing counters stay null (never 0) and a prediction under 4 blocks gives no ratio', () => {
    const r = comparePredicted(outcome(null, 900, null), base)
    expect(r.measured_disk_tokens).toBeNull()
    expect(r.disk_measured_over_predicted).toBeNull()
    expect(r.measured_disk_read_source).toBe('block_device.read_bytes')
    expect(ratioOrNull(5, 127, 128)).toBeNull()
    expect(ratioOrNull(null, 1000, 128)).toBeNull()
    const none = comparePredicted(undefined, base)
    expect(none).toMatchObject({ measured_cached_tokens: null, cached_measured_over_predicted: null, ttft_p50_ms: null })
  })
})
