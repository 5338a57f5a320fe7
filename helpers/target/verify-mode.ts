import { readdirSync, readlinkSync } from 'node:fs'
import { resolve, sep } from 'node:path'
import { request } from 'undici'
import { type KvModeId, kvModeHasDiskTier, kvModeUsesKvbm } from '../config/kv-mode'

// A mode is verified against the running stack, never trusted from config: the prior harness's
// "B1" legs ran with the disk tier on while its metadata said off.

export const EXPECTED_KVBM_NAMES = [
  'kvbm_offload_blocks_d2h',
  'kvbm_offload_blocks_h2d',
  'kvbm_offload_blocks_d2d',
  'kvbm_onboard_blocks_h2d',
  'kvbm_onboard_blocks_d2d',
  'kvbm_matched_tokens',
] as const

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
    const names = new Set<string>()
    for (const line of body.split('\n')) {
      if (!line || line.startsWith('#')) continue
      const m = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)
      if (m) names.add(m[0])
    }
    return names
  } catch {
    return null
  }
}

/** Files under `dir` that any of `pids` holds open (KVBM unlinks its file, so it shows as deleted). */
export const openFilesUnder = (pids: number[], dir: string): string[] => {
  const root = resolve(dir) + sep
  const found: string[] = []
  for (const pid of pids) {
    let fds: string[]
    try {
      fds = readdirSync(`/proc/${pid}/fd`)
    } catch {
      continue
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`)
        if (target.startsWith(root)) found.push(target)
      } catch {}
    }
  }
  return found
}

export const verifyMode = async (opts: {
  mode: KvModeId
  kvbmMetricsUrl: string | null
  pids: number[]
  cacheDir: string | null
}): Promise<ModeVerification> => {
  const evidence: string[] = []
  const failures: string[] = []
  const names = opts.kvbmMetricsUrl ? await scrapeMetricNames(opts.kvbmMetricsUrl) : null
  if (kvModeUsesKvbm(opts.mode)) {
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
    const open = openFilesUnder(opts.pids, opts.cacheDir)
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
