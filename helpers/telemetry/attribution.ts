import type { OpenCacheFile } from './cache-dir'

// Who did the storage IO of a phase: the target's processes (bytes from /proc/<pid>/io or their
// cgroup) against the whole device, plus the files they hold open under the KV cache dir.
//   high   = process-level (or cgroup) bytes + open-file evidence under the cache dir
//   medium = process-level bytes without open-file evidence
//   low    = device bytes only
//   none   = nothing measured
// Host-tier (G2) onboarding is never disk: disk rehydrate is Δkvbm_onboard_blocks_d2d alone.
export type AttributionConfidence = 'high' | 'medium' | 'low' | 'none'

export interface Attribution {
  confidence: AttributionConfidence
  device: string | null
  device_read_bytes: number | null
  device_write_bytes: number | null
  process_read_bytes: number | null
  process_write_bytes: number | null
  cgroup_read_bytes: number | null
  cgroup_write_bytes: number | null
  /** Target bytes ÷ device bytes (process, else cgroup); null when either is missing or device is 0. */
  target_read_share: number | null
  target_write_share: number | null
  cache_dir: string | null
  open_cache_files: OpenCacheFile[]
  kvbm_disk_onboard_blocks_delta: number | null
  kvbm_host_onboard_blocks_delta: number | null
  kvbm_disk_offload_blocks_delta: number | null
  rationale: string[]
}

export interface AttributionInput {
  device: string | null
  blockDevice: Record<string, number | null> | null
  processIo: Record<string, number | null> | null
  cgroupIo: Record<string, number | null> | null
  cacheDir: string | null
  openFiles: OpenCacheFile[]
  kvbm: Record<string, number | null> | null
}

const share = (part: number | null, whole: number | null) => (part == null || whole == null || whole <= 0 ? null : part / whole)

export const attributePhase = (i: AttributionInput): Attribution => {
  const rationale: string[] = []
  const devR = i.blockDevice?.read_bytes ?? null
  const devW = i.blockDevice?.write_bytes ?? null
  const pR = i.processIo?.read_bytes ?? null
  const pW = i.processIo?.write_bytes ?? null
  const cR = i.cgroupIo?.cgroup_rbytes ?? null
  const cW = i.cgroupIo?.cgroup_wbytes ?? null
  const procBytes = (pR ?? 0) + (pW ?? 0)
  const cgBytes = cR == null && cW == null ? null : (cR ?? 0) + (cW ?? 0)
  // /proc/<pid>/io reads zero inside some containers: zero bytes with no cgroup to confirm it
  // is not process-level evidence.
  const processEvidence = (pR != null && procBytes > 0) || cgBytes != null
  const targetR = pR != null && (procBytes > 0 || cgBytes == null) ? pR : cR
  const targetW = pW != null && (procBytes > 0 || cgBytes == null) ? pW : cW
  const deviceEvidence = devR != null || devW != null
  const openUnderCache = i.openFiles.length > 0
  let confidence: AttributionConfidence
  if (processEvidence && openUnderCache) confidence = 'high'
  else if (processEvidence) confidence = 'medium'
  else if (deviceEvidence) confidence = 'low'
  else confidence = 'none'
  if (pR == null) rationale.push('process IO counters unavailable')
  else if (procBytes === 0 && cgBytes == null) rationale.push('process IO counters read zero and no cgroup io.stat to confirm (container?)')
  else rationale.push(`target processes: ${pR} B read, ${pW} B written (storage-level, page-cache hits excluded)`)
  if (cgBytes != null) rationale.push(`cgroup io.stat: ${cR} B read, ${cW} B written`)
  if (!i.cacheDir) rationale.push('no KV cache dir (mode without disk tier)')
  else if (openUnderCache) rationale.push(`${i.openFiles.length} file(s) held open under ${i.cacheDir}${i.openFiles.some((f) => f.deleted) ? ' (unlinked, as KVBM/kvsim do)' : ''}`)
  else rationale.push(`no open files under ${i.cacheDir}`)
  if (!deviceEvidence) rationale.push('block device counters unavailable')
  const k = (n: string) => i.kvbm?.[n] ?? null
  return {
    confidence,
    device: i.device,
    device_read_bytes: devR,
    device_write_bytes: devW,
    process_read_bytes: pR,
    process_write_bytes: pW,
    cgroup_read_bytes: cR,
    cgroup_write_bytes: cW,
    target_read_share: share(targetR, devR),
    target_write_share: share(targetW, devW),
    cache_dir: i.cacheDir,
    open_cache_files: i.openFiles,
    kvbm_disk_onboard_blocks_delta: k('kvbm_onboard_blocks_d2d_delta'),
    kvbm_host_onboard_blocks_delta: k('kvbm_onboard_blocks_h2d_delta'),
    kvbm_disk_offload_blocks_delta: k('kvbm_disk_offload_blocks_delta'),
    rationale,
  }
}
