import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import { runLayout } from '../helpers/bundle/layout'
import { GateResult } from '../helpers/gates/gate'
import { PhaseRecord } from '../helpers/bundle/phase-record'
import { SuiteInfo } from '../helpers/bundle/suite-info'
import { readJsonlRows } from './read-jsonl'
import { scanRequests, type RequestCell } from './request-cells'
import { SuiteTests, suiteTestsFile } from './suite-tests'
import { readTelemetrySeries, type TelemetrySeries } from './telemetry-series'

// Everything the reporter derives from, read from a run directory alone (ARCHITECTURE: derived
// artifacts are regenerable). Malformed lines are counted, never fatal: a partial bundle still reports.

export interface SuiteData {
  suite_id: string
  dir: string
  /** suite.json when it parses against SuiteInfo; `info_raw` keeps whatever was there. */
  info: SuiteInfo | null
  info_raw: Record<string, unknown> | null
  emulated: boolean
  phases: PhaseRecord[]
  gates: GateResult[]
  events: Record<string, unknown>[]
  tests: SuiteTests | null
  cells: RequestCell[]
  telemetry: Map<string, TelemetrySeries>
  /** Problems found while reading (schema mismatches, truncated lines), for summary.json. */
  read_issues: string[]
}

export interface RunData {
  run_dir: string
  run_id: string
  manifest: Record<string, unknown> | null
  suites: SuiteData[]
  requests: { rows: number; invalid_records: number; bad_lines: number; truncated_last: number }
}

const readJson = (path: string): unknown => {
  try {
    return JSON.parse(readFileSync(path, 'utf8'))
  } catch {
    return null
  }
}

const parseRows = <T>(rows: unknown[], schema: { safeParse: (v: unknown) => { success: boolean; data?: T } }, what: string, issues: string[]): T[] => {
  const out: T[] = []
  rows.forEach((row, i) => {
    const r = schema.safeParse(row)
    if (r.success) out.push(r.data as T)
    else issues.push(`Expected ${what} line ${i + 1} to match its schema, got an invalid row (skipped)`)
  })
  return out
}

const isSuiteDir = (dir: string): boolean =>
  existsSync(join(dir, 'suite.json')) || existsSync(join(dir, 'raw', 'phases.jsonl')) || existsSync(join(dir, 'raw', 'gates.jsonl'))

export const loadRunData = async (runDir: string): Promise<RunData> => {
  const layout = runLayout(runDir)
  const manifest = readJson(layout.manifest) as Record<string, unknown> | null
  const scan = await scanRequests(layout.requests)
  const ids = new Set<string>()
  for (const name of existsSync(runDir) ? readdirSync(runDir) : []) {
    const dir = join(runDir, name)
    if (name !== 'raw' && !name.startsWith('.') && statSync(dir).isDirectory() && isSuiteDir(dir)) ids.add(name)
  }
  for (const c of scan.cells.values()) ids.add(c.suite_id)
  const manifestEmulated = manifest?.emulated === true
  const suites: SuiteData[] = []
  for (const suite_id of [...ids].sort()) {
    const sl = layout.suite(suite_id)
    const issues: string[] = []
    const infoRaw = readJson(sl.suiteInfo) as Record<string, unknown> | null
    const infoParsed = infoRaw ? SuiteInfo.safeParse(infoRaw) : null
    if (infoRaw && !infoParsed?.success) issues.push('Expected suite.json to match SuiteInfo, got a partial record (used as is)')
    if (!infoRaw) issues.push('Expected suite.json, got none (suite directory incomplete)')
    const phaseRows = await readJsonlRows(sl.phases)
    const gateRows = await readJsonlRows(sl.gates)
    const eventRows = await readJsonlRows<Record<string, unknown>>(sl.events)
    for (const [name, st] of [['raw/phases.jsonl', phaseRows.stats], ['raw/gates.jsonl', gateRows.stats], ['raw/events.jsonl', eventRows.stats]] as const) {
      if (st.truncated_last) issues.push(`${name}: truncated last line skipped`)
      if (st.bad_lines) issues.push(`${name}: ${st.bad_lines} unparseable line(s) skipped`)
    }
    // A re-run phase and the warm-ups replayed before it (phase_rerun's `replayed`) keep their second attempt.
    const rerun = new Set(
      eventRows.rows.flatMap((e) =>
        e.type === 'phase_rerun' && typeof e.phase === 'string' ? [e.phase, ...(Array.isArray(e.replayed) ? e.replayed.map(String) : [])] : [],
      ),
    )
    const testsRaw = readJson(join(sl.root, suiteTestsFile))
    const testsParsed = testsRaw ? SuiteTests.safeParse(testsRaw) : null
    const telemetry = new Map<string, TelemetrySeries>()
    if (existsSync(sl.telemetryDir))
      for (const f of readdirSync(sl.telemetryDir).filter((f) => f.endsWith('.jsonl')).sort()) {
        const name = basename(f, '.jsonl').replace(/-/g, '_')
        telemetry.set(name, await readTelemetrySeries(join(sl.telemetryDir, f), name))
      }
    const emulated =
      typeof infoRaw?.emulated === 'boolean' ? infoRaw.emulated : manifestEmulated
    suites.push({
      suite_id,
      dir: sl.root,
      info: infoParsed?.success ? infoParsed.data : null,
      info_raw: infoRaw,
      emulated,
      // A phase re-run for environment reasons keeps only its second attempt; the first stays in the
      // raw files (and the phase_rerun event says why it was invalid).
      phases: parseRows(phaseRows.rows, PhaseRecord, 'raw/phases.jsonl', issues).filter((p) => !rerun.has(p.phase) || p.attempt === 2),
      gates: parseRows(gateRows.rows, GateResult, 'raw/gates.jsonl', issues),
      events: eventRows.rows,
      tests: testsParsed?.success ? testsParsed.data : null,
      cells: [...scan.cells.values()].filter((c) => c.suite_id === suite_id && (!rerun.has(c.phase) || c.attempt === 2)),
      telemetry,
      read_issues: issues,
    })
  }
  return {
    run_dir: runDir,
    run_id: typeof manifest?.run_id === 'string' ? manifest.run_id : basename(runDir),
    manifest,
    suites,
    requests: {
      rows: scan.stats.rows,
      invalid_records: scan.invalid_records,
      bad_lines: scan.stats.bad_lines,
      truncated_last: scan.stats.truncated_last,
    },
  }
}
