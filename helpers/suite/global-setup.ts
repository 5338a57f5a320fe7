import { mkdirSync, rmSync, rmdirSync } from 'node:fs'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { loadRunConfig } from '../config/load-run-config'
import { runLayout } from '../bundle/layout'
import { gitFacts, hostFacts, updateManifest, writeManifest } from '../bundle/manifest'
import { createRunDir, pointLatest } from '../bundle/run-dir'
import { appendJsonl } from '../bundle/jsonl-writer'
import { hostLoadProblems, hostLoadWarning, measureHostLoad } from './host-preflight'
import type { RunContext } from './run-context'

// Runs once in the main Vitest process before any suite: validates the whole configuration (one
// error listing every bad field, before any process starts), creates the run directory with an
// honest "running" manifest, points results/latest at it, and hands suites the run context.
export default async function setup(project: TestProject) {
  const config = loadRunConfig({ cwd: project.config.root })
  // Measured before anything of ours runs: the host's own load, not the load we add.
  const host = await measureHostLoad(500)
  const originNs = process.hrtime.bigint()
  const { runId, runDir } = createRunDir(config.resultsDir, process.env.TIERBENCH_RUN_ID || undefined)
  const scratchDir = join(config.scratchDir, runId)
  mkdirSync(scratchDir, { recursive: true })
  const emulated = config.target.kind === 'emulator'
  writeManifest(runLayout(runDir).manifest, {
    run_id: runId,
    tierbench_version: '0.1.0',
    status: 'running',
    run_valid: false,
    reason_codes: ['RUN_INCOMPLETE', ...(emulated ? ['EMULATED_TARGET'] : [])],
    emulated,
    target_kind: config.target.kind,
    profile: config.profile.name,
    started_wall: new Date().toISOString(),
    ended_wall: null,
    clock_origin_ns: originNs.toString(),
    host: hostFacts(),
    git: gitFacts(),
    argv: process.argv.slice(1),
    config: JSON.parse(JSON.stringify(config)) as Record<string, unknown>,
    suites: [],
    provenance: {},
  })
  pointLatest(config.resultsDir, runId)
  // Ctrl-C or SIGTERM: Vitest exits without a run end, so the reporter never closes the bundle.
  // 'exit' handlers must be synchronous; marking the manifest is, and `tierbench report` rebuilds the
  // partial verdict and dossier from the raw files afterwards.
  const removeScratch = () => {
    rmSync(scratchDir, { recursive: true, force: true })
    // The shared parent (<results>/.scratch) goes too once no other run uses it.
    try {
      rmdirSync(config.scratchDir)
    } catch {
      // not empty (another run) or already gone
    }
  }
  process.once('exit', () => {
    // Every exit path, Ctrl-C included: scratch (KV cache files, fio files, adapters) never outlives the run.
    removeScratch()
    const closed = updateManifest(runLayout(runDir).manifest, (m) =>
      m.status !== 'running'
        ? m
        : {
            ...m,
            status: 'interrupted',
            run_valid: false,
            reason_codes: [...new Set([...m.reason_codes.filter((c) => c !== 'RUN_INCOMPLETE'), 'RUN_INTERRUPTED'])],
            ended_wall: new Date().toISOString(),
          },
    )
    if (closed?.status === 'interrupted')
      process.stderr.write(`tierbench: run ${runId} interrupted; partial bundle in ${runDir} (npx tierbench report ${runDir} builds its verdict and dossier)\n`)
  })
  // The reporter lives in this process: it finds the run here even if no suite got to start.
  process.env.TIERBENCH_RUN_DIR = runDir
  const ctx: RunContext = {
    runId,
    runDir,
    resultsDir: config.resultsDir,
    scratchDir,
    originNs: originNs.toString(),
    config: JSON.parse(JSON.stringify(config)) as Record<string, unknown>,
  }
  project.provide('tierbenchRun', JSON.stringify(ctx))
  for (const w of config.warnings) console.warn(`tierbench: ${w}`)
  appendJsonl(runLayout(runDir).runEvents, { type: 'host_preflight', wall_ms: Date.now(), ...host, problems: hostLoadProblems(host) })
  const busy = hostLoadWarning(host)
  if (busy) console.warn(busy)
  console.log(`tierbench: run ${runId} (${config.target.kind}${emulated ? ', EMULATED' : ''}, profile ${config.profile.name}) → ${runDir}`)

  return () => {
    // Cache dirs, fio files and adapters: scratch never outlives the run.
    removeScratch()
  }
}
