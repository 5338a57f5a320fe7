import { existsSync } from 'node:fs'
import { request } from 'undici'
import { openFilesUnder } from '../telemetry/cache-dir'
import { KVBM_EXPECTED_COUNTERS } from '../telemetry/kvbm-deltas'
import { parsePrometheusText } from '../telemetry/prometheus-parser'
import { type KvModeId, kvModeHasDiskTier, kvModeUsesKvbm } from '../config/kv-mode'
import type { TieringBackend } from '../backends/tiering-backend'

// A mode is verified against the running stack, never trusted from config: the prior harness's
// "B1" legs ran with the disk tier on while its metadata said off.

/** The counters a KVBM mode must expose (telemetry's list: one source of truth). */
export const EXPECTED_KVBM_NAMES = KVBM_EXPECTED_COUNTERS

export interface ModeVerification {
  verified: boolean
  evidence: string[]
  /** Reason codes when not verified: KVBM_METRICS_MISSING, B1_DISK_TIER_ACTIVE, MODE_NOT_VERIFIED. */
  failures: string[]
}

/** Metric names exposed at a Prometheus URL, or null when it does not answer. */
export const scrapeMetricNames = async (url: string): Promise<Set<string> | null> => {
  try {
    const res = await request(url, { headersTimeout: 5000, bodyTimeout: 5000 })
    const body = await res.body.text()
    if (res.statusCode !== 200) return null
    return new Set(parsePrometheusText(body).families.keys())
  } catch {
    return null
  }
}

export const verifyMode = async (opts: {
  mode: KvModeId
  kvbmMetricsUrl: string | null
  pids: number[]
  cacheDir: string | null
  /** A non-KVBM tiering backend: its verification spec replaces the KVBM counters (kvbmMetricsUrl is its metrics URL). */
  backend?: TieringBackend
}): Promise<ModeVerification> => {
  const evidence: string[] = []
  const failures: string[] = []
  const names = opts.kvbmMetricsUrl ? await scrapeMetricNames(opts.kvbmMetricsUrl) : null
  const b = opts.backend && opts.backend.name !== 'kvbm' ? opts.backend : null
  if (b) {
    // Family names with or without `_total` (prometheus_client vs parsers that strip it).
    const has = (f: string) => !!names && (names.has(f) || names.has(f.replace(/_total$/, '')) || names.has(`${f}_total`))
    const required = b.verification(opts.mode).requiredMetricFamilies
    if (required.length === 0) evidence.push(`${b.name}: no metric family required in ${opts.mode}`)
    else if (!names) {
      failures.push('KVBM_METRICS_MISSING')
      evidence.push(`${b.name} metrics endpoint ${opts.kvbmMetricsUrl ?? '(none)'} did not answer`)
    } else {
      const missing = required.filter((f) => !has(f))
      if (missing.length) {
        failures.push('KVBM_METRICS_MISSING')
        evidence.push(`${b.name} metrics endpoint lacks ${missing.join(', ')}`)
      } else evidence.push(`${b.name} metrics endpoint exposes the ${required.length} families ${opts.mode} requires`)
    }
  } else if (kvModeUsesKvbm(opts.mode)) {
    if (!names) {
      failures.push('KVBM_METRICS_MISSING')
      evidence.push(`KVBM metrics endpoint ${opts.kvbmMetricsUrl ?? '(none)'} did not answer`)
    } else {
      const missing = EXPECTED_KVBM_NAMES.filter((n) => !names.has(n))
      if (missing.length) {
        failures.push('KVBM_METRICS_MISSING')
        evidence.push(`KVBM metrics endpoint lacks ${missing.join(', ')}`)
      } else evidence.push(`KVBM metrics endpoint exposes ${EXPECTED_KVBM_NAMES.length} expected counters`)
    }
  } else if (names) evidence.push(`B0 but a KVBM endpoint answers at ${opts.kvbmMetricsUrl}`)
  else evidence.push('no KVBM endpoint, as B0 expects')

  if (opts.cacheDir) {
    const open = existsSync(opts.cacheDir) ? openFilesUnder(opts.cacheDir, opts.pids).map((f) => `${f.path}${f.deleted ? ' (deleted)' : ''}`) : []
    if (kvModeHasDiskTier(opts.mode)) {
      if (open.length) evidence.push(`disk tier file held open: ${open[0]}`)
      else evidence.push(`no disk tier file seen open under ${opts.cacheDir} (pids ${opts.pids.join(',') || 'none'})`)
    } else if (open.length) {
      failures.push(opts.mode === 'B1' ? 'B1_DISK_TIER_ACTIVE' : 'MODE_NOT_VERIFIED')
      evidence.push(`${opts.mode} must not hold a disk tier file, got ${open.join(', ')}`)
    } else evidence.push(`no disk tier file held open under ${opts.cacheDir}`)
  }
  return { verified: failures.length === 0, evidence, failures }
}
