import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { request } from 'undici'
import type { KvModeId } from '../config/kv-mode'
import type { BackendName, ModeVerificationSpec } from '../backends/tiering-backend'
import { DynamoTargetError } from './dynamo-error'
import { counterDeltas, KVBM_DISK_COUNTERS, KVBM_REQUIRED_METRICS, scrapeMetrics } from './dynamo-kvbm-metrics'

// Proof that the stack runs in the mode we asked for, not just that we set its env:
// - B0: no KVBM endpoint answers (a KVBM leader would serve it).
// - B1: KVBM answers, no disk-tier file is held open (KVBM unlinks that file right after creating it,
//   so only /proc/<pid>/fd shows it), and a probe request pair moves no disk counter.
// - B2/B2p/B3: KVBM answers with the expected counter names.

export interface VerifyModeInput {
  mode: KvModeId
  kvbmMetricsUrl: string | null
  baseUrl: string
  model: string
  cacheDir: string
  /** `ls -l`-style lines or bare link targets of every fd the worker (and its children) hold. */
  listOpenFiles: () => Promise<string[]>
  /** Send the B1 probe pair. @default true */
  probePair?: boolean
}

export interface VerifyModeResult {
  evidence: string[]
}

/** Link targets in `ls -l /proc/<pid>/fd` output (`… 3 -> /path (deleted)`) or bare targets. */
export const fdTargets = (lines: string[]): string[] =>
  lines
    .map((l) => {
      const i = l.indexOf(' -> ')
      return (i >= 0 ? l.slice(i + 4) : l).trim()
    })
    .filter((t) => t.startsWith('/'))

/** fds that are a KVBM disk tier: under the cache dir, or KVBM's unlinked `dynamo-kvbm-disk-cache-*` file anywhere. */
export const diskTierFds = (targets: string[], cacheDir: string): string[] => {
  const dir = cacheDir.replace(/\/+$/, '') + '/'
  return targets.filter((t) => t.startsWith(dir) || /dynamo-kvbm-disk-cache-/.test(t))
}

/** Children of every thread of a pid (empty when the kernel lacks CONFIG_PROC_CHILDREN or the pid is gone). */
const childrenOf = (pid: number): number[] => {
  const out: number[] = []
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim()
      for (const c of children ? children.split(/\s+/) : []) out.push(Number(c))
    }
  } catch {
    // gone, or no CONFIG_PROC_CHILDREN
  }
  return out
}

/** Every descendant pid of a local pid, depth first (listed before a stop: the executor may be a grandchild). */
export const localDescendants = (pid: number): number[] => {
  const seen = new Set<number>([pid])
  const out: number[] = []
  const visit = (p: number) => {
    for (const c of childrenOf(p)) {
      if (seen.has(c)) continue
      seen.add(c)
      out.push(c)
      visit(c)
    }
  }
  visit(pid)
  return out
}

/** fd link targets of a local pid and all its descendants (procfs; launcher host). */
export const localOpenFiles = (pid: number): string[] => {
  const out: string[] = []
  for (const p of [pid, ...localDescendants(pid)]) {
    let fds: string[]
    try {
      fds = readdirSync(`/proc/${p}/fd`)
    } catch (err) {
      // Fail closed for the worker itself: a B1 check that cannot see its fds proves nothing.
      if (p === pid) throw new DynamoTargetError('MODE_NOT_VERIFIED', `Expected to list /proc/${pid}/fd, got ${(err as Error).message}`)
      continue
    }
    for (const fd of fds) {
      try {
        out.push(readlinkSync(`/proc/${p}/fd/${fd}`))
      } catch {
        // fd closed between readdir and readlink
      }
    }
  }
  return out
}

export interface VerifyBackendModeInput {
  mode: KvModeId
  backend: BackendName
  spec: ModeVerificationSpec
  /** The worker's system-port /metrics (engine metrics pass through there); null when disabled. */
  metricsUrl: string | null
  cacheDir: string
  listOpenFiles: () => Promise<string[]>
}

/** A non-KVBM backend's mode, proved by its own spec: required metric families and disk-tier fds (all descendants). */
export const verifyBackendMode = async (input: VerifyBackendModeInput): Promise<VerifyModeResult> => {
  const { mode, backend, spec } = input
  const evidence: string[] = []
  if (spec.requiredMetricFamilies.length > 0) {
    if (!input.metricsUrl)
      throw new DynamoTargetError('MODE_NOT_VERIFIED', `Expected ports.system set to scrape ${backend}'s ${spec.requiredMetricFamilies.join(', ')} in ${mode}, got none`, { mode })
    const s = await scrapeMetrics(input.metricsUrl)
    if (!s.ok) throw new DynamoTargetError('MODE_NOT_VERIFIED', `Expected ${input.metricsUrl} to answer in ${mode} (${backend}), got ${s.error}`, { mode })
    const names = [...s.values.keys()]
    const missing = spec.requiredMetricFamilies.filter((f) => !names.some((n) => n === f || n.startsWith(`${f}_`)))
    if (missing.length > 0)
      throw new DynamoTargetError('MODE_NOT_VERIFIED', `Expected ${backend} metric families ${spec.requiredMetricFamilies.join(', ')} at ${input.metricsUrl} in ${mode}, got no ${missing.join(', ')}`, {
        mode,
        missing,
      })
    evidence.push(`${mode}: ${input.metricsUrl} exports ${spec.requiredMetricFamilies.join(', ')} (${backend})`)
  }
  if (spec.diskDirHeldOpen !== null) {
    const open = diskTierFds(fdTargets(await input.listOpenFiles()), input.cacheDir)
    if (spec.diskDirHeldOpen === false && open.length > 0)
      throw new DynamoTargetError('B1_DISK_TIER_ACTIVE', `Expected no disk-tier file open by the ${mode} worker or its descendants (${backend}), got ${open.join(', ')}`, { mode, open })
    evidence.push(
      spec.diskDirHeldOpen
        ? open.length > 0
          ? `${mode}: disk tier file open: ${open.join(', ')}`
          : `${mode}: no disk tier file open yet under ${input.cacheDir}`
        : `${mode}: no file under ${input.cacheDir} open by the worker or its descendants`,
    )
  }
  return { evidence }
}

const probeRequest = async (baseUrl: string, model: string) => {
  const res = await request(`${baseUrl}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    // Long enough to fill several KV blocks, identical both times so the second can reuse the first.
    body: JSON.stringify({ model, prompt: 'tierbench B1 verification probe. '.repeat(64), max_tokens: 4, temperature: 0, stream: false }),
    headersTimeout: 120_000,
    bodyTimeout: 120_000,
  })
  await res.body.text()
  if (res.statusCode !== 200) throw new Error(`Expected 200 from the B1 probe request, got ${res.statusCode}`)
}

export const verifyMode = async (input: VerifyModeInput): Promise<VerifyModeResult> => {
  const evidence: string[] = []
  const { mode, kvbmMetricsUrl } = input

  if (mode === 'B0') {
    if (!kvbmMetricsUrl) return { evidence: ['B0: no KVBM metrics endpoint configured or announced'] }
    const s = await scrapeMetrics(kvbmMetricsUrl)
    if (s.ok && [...s.values.keys()].some((k) => k.startsWith('kvbm_')))
      throw new DynamoTargetError('MODE_NOT_VERIFIED', `Expected no KVBM endpoint in B0, got kvbm_* metrics at ${kvbmMetricsUrl}`, { mode })
    evidence.push(`B0: KVBM endpoint ${kvbmMetricsUrl} did not serve kvbm_* metrics (${s.ok ? 'no kvbm_ names' : s.error})`)
    return { evidence }
  }

  if (!kvbmMetricsUrl)
    throw new DynamoTargetError('KVBM_METRICS_MISSING', `Expected a KVBM metrics URL in mode ${mode}, got none`, { mode })
  const before = await scrapeMetrics(kvbmMetricsUrl)
  if (!before.ok)
    throw new DynamoTargetError('KVBM_METRICS_MISSING', `Expected ${kvbmMetricsUrl} to answer in mode ${mode}, got ${before.error}`, { mode })
  const missing = KVBM_REQUIRED_METRICS.filter((n) => !before.values.has(n))
  if (missing.length > 0)
    throw new DynamoTargetError('KVBM_METRICS_MISSING', `Expected ${KVBM_REQUIRED_METRICS.join(', ')} at ${kvbmMetricsUrl}, got no ${missing.join(', ')}`, {
      mode,
      missing,
    })
  evidence.push(`${mode}: ${kvbmMetricsUrl} exports ${KVBM_REQUIRED_METRICS.join(', ')}`)

  const open = diskTierFds(fdTargets(await input.listOpenFiles()), input.cacheDir)
  if (mode !== 'B1') {
    evidence.push(open.length > 0 ? `${mode}: disk tier file open: ${open.join(', ')}` : `${mode}: no disk tier file open yet under ${input.cacheDir}`)
    return { evidence }
  }
  if (open.length > 0)
    throw new DynamoTargetError('B1_DISK_TIER_ACTIVE', `Expected no disk-tier file open by the B1 worker, got ${open.join(', ')}`, { mode, open })
  evidence.push(`B1: no file under ${input.cacheDir} (or dynamo-kvbm-disk-cache-*) open by the worker`)

  if (input.probePair !== false) {
    await probeRequest(input.baseUrl, input.model)
    await probeRequest(input.baseUrl, input.model)
    const after = await scrapeMetrics(kvbmMetricsUrl)
    if (!after.ok) throw new DynamoTargetError('KVBM_METRICS_MISSING', `Expected ${kvbmMetricsUrl} to answer after the B1 probe pair, got ${after.error}`, { mode })
    const deltas = counterDeltas(before.values, after.values, KVBM_DISK_COUNTERS)
    const moved = Object.entries(deltas).filter(([, d]) => d > 0)
    if (moved.length > 0)
      throw new DynamoTargetError('B1_DISK_TIER_ACTIVE', `Expected no disk counter to move on the B1 probe pair, got ${moved.map(([n, d]) => `${n} +${d}`).join(', ')}`, {
        mode,
        deltas,
      })
    evidence.push(`B1: probe pair moved no disk counter (${KVBM_DISK_COUNTERS.join(', ')} all +0)`)
  }
  return { evidence }
}
