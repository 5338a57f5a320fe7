import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { runLayout } from '../helpers/bundle/layout'
import { renderChart } from './charts/chart-canvas'
import { buildFigureChart } from './charts/figure-charts'
import { writeFigureCsv } from './csv-file'
import { dossierMarkdown, type DossierSuite, reproduceEnv } from './dossier-markdown'
import { FIGURE_CATALOG } from './figure-catalog'
import { buildFigureRows, phaseSpans, type FigureContext } from './figure-data'
import { suitePhaseFigures } from './phase-figures'
import { suiteReportMarkdown } from './report-markdown'
import { loadRunData, type SuiteData } from './run-data'
import { buildSuiteSummary, type FigureIndexEntry } from './suite-summary'
import { computeRunVerdict, computeVerdict, verdictJsonSchema, type RunVerdict, type Verdict } from '../helpers/gates/verdict'

// The one artifact builder: the Vitest reporter calls it at the end of a run and `tierbench report`
// calls it on a finished (or crashed) run directory. It reads only the run dir, so the two produce
// the same files.

export const CHART_WIDTH = 1200
export const CHART_HEIGHT = 700

export interface BuildOptions {
  /** Whether the run was interrupted; default: read from manifest.json / tests.json. */
  interrupted?: boolean
  /** Skip PNG rendering (CSV and markdown only). @default false */
  charts?: boolean
}

export interface BuildResult {
  suites: string[]
  /** Files written, relative to the run dir. */
  files: string[]
  run_verdict: RunVerdict
  verdicts: Verdict[]
}

const RUNNER_STATE = { passed: 'pass', failed: 'fail', skipped: 'skip', pending: 'todo' } as const

// Missing artifacts make a run invalid (P6: artifacts complete); each is one sentence.
const suiteRunErrors = (suite: SuiteData): string[] => [
  ...(suite.tests?.run_errors ?? []),
  ...(suite.info_raw ? [] : [`Expected ${suite.suite_id}/suite.json, got none`]),
  ...(suite.tests ? [] : [`Expected ${suite.suite_id}/tests.json (test outcomes written by the reporter), got none`]),
]

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`

export const buildRunArtifacts = async (runDir: string, opts: BuildOptions = {}): Promise<BuildResult> => {
  const data = await loadRunData(runDir)
  const layout = runLayout(runDir)
  const files: string[] = []
  const write = (path: string, content: string | Buffer) => {
    writeFileSync(path, content)
    files.push(relative(runDir, path))
  }
  const status = data.manifest?.status
  const runInterrupted =
    opts.interrupted ??
    (status === 'interrupted' || status === 'running' || data.suites.some((s) => s.tests?.run_reason === 'interrupted'))
  const verdicts: Verdict[] = []
  const dossierSuites: DossierSuite[] = []

  for (const suite of data.suites) {
    const sl = layout.suite(suite.suite_id)
    mkdirSync(sl.chartsDir, { recursive: true })
    const phases = suitePhaseFigures(suite.cells, suite.phases)
    const target = (suite.info?.target ?? (suite.info_raw?.target as Record<string, unknown> | undefined) ?? null) as Record<string, unknown> | null
    const ctx: FigureContext = { suite_id: suite.suite_id, phases, cells: suite.cells, telemetry: suite.telemetry, gates: suite.gates }
    const spans = phaseSpans(ctx)
    const figures: FigureIndexEntry[] = []
    for (const spec of FIGURE_CATALOG) {
      const csvPath = sl.csv(spec.id)
      const pngPath = join(sl.chartsDir, `${spec.id}.png`)
      // A rebuild must not leave a figure behind that the data no longer supports.
      rmSync(csvPath, { force: true })
      rmSync(pngPath, { force: true })
      const rows = buildFigureRows(spec.id, ctx, target)
      if (!rows) {
        figures.push({ id: spec.id, title: spec.title, csv: null, chart: null, rows: 0, skipped: `no data: needs ${spec.needs}` })
        continue
      }
      writeFigureCsv(csvPath, spec, rows, suite.emulated)
      files.push(relative(runDir, csvPath))
      let chart: string | null = null
      if (opts.charts !== false) {
        const fc = buildFigureChart(spec, suite.suite_id, rows, spans)
        const png = renderChart(fc.config, { width: CHART_WIDTH, height: CHART_HEIGHT, emulated: suite.emulated, markers: fc.markers })
        write(pngPath, png.png)
        chart = `charts/${spec.id}.png`
      }
      figures.push({ id: spec.id, title: spec.title, csv: `${spec.id}.csv`, chart, rows: rows.length, skipped: null })
    }

    // helpers/gates/verdict counts runner states (pass/fail/skip/todo), not reported ones.
    const tests = (suite.tests?.tests ?? []).map((t) => ({ name: t.full_name, state: RUNNER_STATE[t.state] }))
    const interrupted = runInterrupted || suite.phases.some((p) => p.interrupted)
    const verdict = computeVerdict({
      suite_id: suite.suite_id,
      emulated: suite.emulated,
      gate_results: suite.gates,
      tests,
      interrupted,
      run_errors: suiteRunErrors(suite),
      ...(suite.info?.required_evidence ? { required_evidence: suite.info.required_evidence } : {}),
    })
    verdicts.push(verdict)
    const summary = buildSuiteSummary(suite, phases, suite.gates, figures, {
      requests_rows_in_run: data.requests.rows,
      requests_rows_in_suite: suite.cells.reduce((a, c) => a + c.count, 0),
      truncated_last_line: data.requests.truncated_last,
      bad_lines: data.requests.bad_lines,
      invalid_records: data.requests.invalid_records,
    })
    write(sl.summary, json(summary))
    write(sl.verdict, json(verdict))
    write(
      sl.report,
      suiteReportMarkdown({
        verdict,
        title: summary.title,
        headline: summary.headline,
        loaded_host_phases: summary.loaded_host_phases,
        invalid_attempts: summary.invalid_attempts,
        hypothesis: summary.hypothesis,
        phases,
        gates: suite.gates,
        figures,
        requested_charts: suite.info?.charts ?? [],
        read_issues: [
          ...suite.read_issues,
          ...(data.requests.truncated_last ? ['raw/requests.jsonl: truncated last line skipped (the run was cut off mid-write)'] : []),
          ...(data.requests.bad_lines ? [`raw/requests.jsonl: ${data.requests.bad_lines} unparseable line(s) skipped`] : []),
        ],
      }),
    )
    dossierSuites.push({
      suite_id: suite.suite_id,
      file: suite.info?.file ?? null,
      target_kind: (typeof target?.kind === 'string' ? target.kind : null) ?? (typeof data.manifest?.target_kind === 'string' ? data.manifest.target_kind : null),
      env: reproduceEnv(data.manifest),
      verdict,
      gates: suite.gates,
    })
  }

  const runVerdict = computeRunVerdict(verdicts)
  if (runInterrupted) {
    runVerdict.run_valid = false
    runVerdict.decision_grade = false
    runVerdict.reason_codes = [...new Set([...runVerdict.reason_codes, 'RUN_INTERRUPTED'])].sort()
  }
  write(join(runDir, 'verdict.schema.json'), json(verdictJsonSchema()))
  write(layout.runVerdict, json(runVerdict))
  write(layout.dossier, dossierMarkdown(data.run_id, runVerdict, dossierSuites, runInterrupted))
  return { suites: data.suites.map((s) => s.suite_id), files, run_verdict: runVerdict, verdicts }
}
