import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { cpus, hostname, release, totalmem } from 'node:os'
import { z } from 'zod'

// manifest.json is written when the run starts (status running, run_valid false, RUN_INCOMPLETE)
// so a crash leaves an honest marker; the reporter rewrites it when the run ends.
export const RunManifest = z.object({
  run_id: z.string(),
  tierbench_version: z.string(),
  status: z.enum(['running', 'complete', 'interrupted', 'failed']),
  run_valid: z.boolean(),
  reason_codes: z.array(z.string()),
  emulated: z.boolean(),
  target_kind: z.string(),
  profile: z.string(),
  started_wall: z.string(),
  ended_wall: z.string().nullable(),
  /** process.hrtime.bigint() at the run origin, as a decimal string (the run clock's zero). */
  clock_origin_ns: z.string(),
  host: z.object({ hostname: z.string(), kernel: z.string(), cpus: z.number(), cpu_model: z.string(), mem_bytes: z.number(), node: z.string() }),
  git: z.object({ commit: z.string().nullable(), dirty: z.boolean().nullable() }),
  argv: z.array(z.string()),
  config: z.record(z.string(), z.unknown()),
  /** Suite ids in the order they started. */
  suites: z.array(z.string()),
  /** KV mode ids each suite planned or applied, by suite id. */
  kv_modes: z.record(z.string(), z.array(z.string())).optional(),
  /** What each suite's target reported about itself (kind, versions, engine config hash…), by suite id. */
  provenance: z.record(z.string(), z.unknown()),
  /** Per `<suite>/<phase>` where a worker (re)started: the tier plan and the effective capacities the driver reported. */
  tiers: z.record(z.string(), z.object({ mode: z.string(), plan: z.record(z.string(), z.unknown()), effective: z.record(z.string(), z.unknown()) })).optional(),
})
export type RunManifest = z.infer<typeof RunManifest>

const git = (args: string[]): string | null => {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return null
  }
}

export const hostFacts = (): RunManifest['host'] => ({
  hostname: hostname(),
  kernel: release(),
  cpus: cpus().length,
  cpu_model: cpus()[0]?.model ?? 'unknown',
  mem_bytes: totalmem(),
  node: process.version,
})

export const gitFacts = (): RunManifest['git'] => {
  const commit = git(['rev-parse', 'HEAD'])
  const status = commit ? git(['status', '--porcelain', '--untracked-files=no']) : null
  return { commit, dirty: status === null ? null : status.length > 0 }
}

/** Writes atomically (temp file + rename) so a reader never sees half a manifest. */
export const writeManifest = (path: string, manifest: RunManifest): void => {
  const tmp = `${path}.tmp-${process.pid}`
  writeFileSync(tmp, `${JSON.stringify(RunManifest.parse(manifest), null, 2)}\n`)
  renameSync(tmp, path)
}

export const readManifest = (path: string): RunManifest | null => {
  if (!existsSync(path)) return null
  return RunManifest.parse(JSON.parse(readFileSync(path, 'utf8')))
}

export const updateManifest = (path: string, patch: (m: RunManifest) => RunManifest): RunManifest | null => {
  const current = readManifest(path)
  if (!current) return null
  const next = patch(current)
  writeManifest(path, next)
  return next
}
