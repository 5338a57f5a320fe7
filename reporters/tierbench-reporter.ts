import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { basename, dirname, join, relative, resolve } from 'node:path'
import type { Reporter, TestCase, TestModule, TestRunEndReason, TestSuite, Vitest } from 'vitest/node'
import { runLayout } from '../helpers/bundle/layout'
import { updateManifest } from '../helpers/bundle/manifest'
import { pointLatest } from '../helpers/bundle/run-dir'
import { buildRunArtifacts, type BuildResult } from './build-artifacts'
import { verdictParagraph } from './report-markdown'
import { SuiteTests, suiteTestsFile, type SuiteTestOutcome } from './suite-tests'

// The Vitest side of the bundle. Suites append raw files while they run; at the end this reporter
// persists the one thing only Vitest knows (test outcomes → <suite>/tests.json), then runs the same
// builder as `tierbench report`, closes manifest.json and points results/latest at the run. The
// `unit` project (the harness's own tests) is ignored.

export interface TierbenchReporterOptions {
  /** Run dir; default: process.env.TIERBENCH_RUN_DIR (set by globalSetup), else task.meta. */
  runDir?: string
  /** Projects whose tests are not hypotheses. @default ['unit'] */
  ignoreProjects?: string[]
  /** Where lines go. @default the Vitest logger, else console.log */
  log?: (line: string) => void
}

type UnhandledErrors = Parameters<NonNullable<Reporter['onTestRunEnd']>>[1]

interface CollectedTest {
  suite_id: string
  run_dir: string | null
  module: string
  outcome: SuiteTestOutcome
}

const firstLine = (s: unknown) => String(s ?? '').split('\n')[0]!.slice(0, 500)

/** The suite a test belongs to: the nearest ancestor whose meta carries tierbenchSuite, else the file name. */
const suiteOf = (tc: TestCase): { suite_id: string; run_dir: string | null } => {
  let node: TestSuite | TestModule | undefined = tc.parent
  while (node) {
    const meta = node.meta().tierbenchSuite
    if (meta && typeof meta.suite_id === 'string') return { suite_id: meta.suite_id, run_dir: typeof meta.run_dir === 'string' ? meta.run_dir : null }
    node = node.type === 'module' ? undefined : node.parent
  }
  const phase = tc.meta().tierbenchPhase
  if (phase && typeof phase.suite_id === 'string') return { suite_id: phase.suite_id, run_dir: null }
  // A test that failed before recording its phase (e.g. a gate test) belongs with its siblings.
  for (const sib of tc.parent.children.allTests()) {
    const p = sib.meta().tierbenchPhase
    if (p && typeof p.suite_id === 'string') return { suite_id: p.suite_id, run_dir: null }
  }
  return { suite_id: basename(tc.module.moduleId).replace(/\.(test|spec)\.[cm]?[jt]s$/, '').replace(/\.[cm]?[jt]s$/, ''), run_dir: null }
}

const outcomeOf = (tc: TestCase): SuiteTestOutcome => {
  const res = tc.result()
  return {
    name: tc.name,
    full_name: tc.fullName,
    state: res.state,
    tags: [...(tc.tags ?? [])],
    duration_ms: tc.diagnostic()?.duration ?? null,
    errors: (res.errors ?? []).map((e) => firstLine(e.message)),
  }
}

export class TierbenchReporter implements Reporter {
  private ctx: Vitest | undefined
  private readonly tests = new Map<string, CollectedTest>()
  private readonly opts: TierbenchReporterOptions
  /** The last build's result (tests and tooling read it). */
  lastBuild: BuildResult | null = null

  constructor(opts: TierbenchReporterOptions = {}) {
    this.opts = opts
  }

  onInit(vitest: Vitest): void {
    this.ctx = vitest
  }

  private ignored(tc: TestCase): boolean {
    return (this.opts.ignoreProjects ?? ['unit']).includes(tc.project.name)
  }

  private collect(tc: TestCase): void {
    if (this.ignored(tc)) return
    const s = suiteOf(tc)
    this.tests.set(tc.id, { ...s, module: tc.module.relativeModuleId ?? tc.module.moduleId, outcome: outcomeOf(tc) })
  }

  onTestCaseResult(tc: TestCase): void {
    this.collect(tc)
  }

  onTestModuleEnd(mod: TestModule): void {
    // Suite meta (set in afterAll) is only complete once the module ended: re-resolve its tests.
    for (const tc of mod.children.allTests()) this.collect(tc)
  }

  private log(line: string): void {
    if (this.opts.log) this.opts.log(line)
    else if (this.ctx) this.ctx.logger.log(line)
    else console.log(line)
  }

  async onTestRunEnd(modules: ReadonlyArray<TestModule>, errors: UnhandledErrors, reason: TestRunEndReason): Promise<void> {
    for (const mod of modules) for (const tc of mod.children.allTests()) this.collect(tc)
    const collected = [...this.tests.values()]
    const runDir = resolve(this.opts.runDir ?? process.env.TIERBENCH_RUN_DIR ?? collected.find((t) => t.run_dir)?.run_dir ?? '')
    if (!this.opts.runDir && !process.env.TIERBENCH_RUN_DIR && !collected.some((t) => t.run_dir)) return // a unit-only run: no bundle
    if (!existsSync(runDir)) {
      this.log(`tierbench: Expected the run directory ${runDir} to exist, got nothing there: no bundle written`)
      return
    }
    try {
      await this.finish(runDir, modules, errors, reason, collected)
    } catch (err) {
      this.log(`tierbench: Expected to write the bundle in ${runDir}, got ${(err as Error).stack ?? err}`)
      process.exitCode = process.exitCode || 1
    }
  }

  private async finish(runDir: string, modules: ReadonlyArray<TestModule>, errors: UnhandledErrors, reason: TestRunEndReason, collected: CollectedTest[]): Promise<void> {
    const runErrors = errors.map((e) => firstLine(e.message ?? e.name ?? 'unhandled error'))
    const now = new Date().toISOString()
    const bySuite = new Map<string, CollectedTest[]>()
    for (const t of collected) bySuite.set(t.suite_id, [...(bySuite.get(t.suite_id) ?? []), t])
    for (const [suite_id, tests] of bySuite) {
      const dir = runLayout(runDir).suite(suite_id).root
      mkdirSync(dir, { recursive: true })
      const doc: SuiteTests = SuiteTests.parse({
        suite_id,
        module: tests[0]?.module ?? null,
        tests: tests.map((t) => t.outcome),
        run_reason: reason,
        run_errors: runErrors,
        written_wall: now,
      })
      writeFileSync(join(dir, suiteTestsFile), `${JSON.stringify(doc, null, 2)}\n`)
    }
    const interrupted = reason === 'interrupted'
    const build = await buildRunArtifacts(runDir, { interrupted })
    this.lastBuild = build
    // Module or hook errors (beforeAll/afterAll) mean a suite broke, not that a gate failed.
    const moduleFailed = modules.some((m) => !this.ignoredModule(m) && (m.errors().length > 0 || [...m.children.allSuites()].some((s) => s.errors().length > 0)))
    const status = interrupted ? 'interrupted' : runErrors.length > 0 || moduleFailed ? 'failed' : 'complete'
    const codes = [...new Set([...build.run_verdict.reason_codes, ...(status === 'failed' ? ['RUN_FAILED'] : [])])].sort()
    const runValid = build.run_verdict.run_valid && status === 'complete'
    patchManifest(runLayout(runDir).manifest, { status, run_valid: runValid, reason_codes: codes, ended_wall: now })
    try {
      pointLatest(dirname(runDir), basename(runDir))
    } catch (err) {
      this.log(`tierbench: Expected to point results/latest at ${basename(runDir)}, got ${(err as Error).message}`)
    }
    const shown = relative(process.cwd(), runDir) || runDir
    this.log('')
    this.log(`tierbench bundle: ${shown} (status ${status}, run_valid ${runValid}, outcome ${build.run_verdict.outcome})`)
    for (const v of build.verdicts) this.log(`  ${verdictParagraph(v, null).replace(/\*\*/g, '')}`)
    // Real paths a person can open, not a placeholder.
    const reports = build.verdicts.map((v) => join(shown, v.suite_id, 'report.md'))
    this.log(`  report${reports.length === 1 ? '' : 's'}: ${reports.length ? reports.join(', ') : 'none (no suite finished)'} · dossier: ${join(shown, 'dossier.md')}`)
  }

  private ignoredModule(m: TestModule): boolean {
    return (this.opts.ignoreProjects ?? ['unit']).includes(m.project.name)
  }
}

// manifest.json is the lead's schema (helpers/bundle/manifest); patch through it, and fall back to a
// plain JSON merge when the file does not match it, so a reporter never loses the end state.
const patchManifest = (path: string, patch: { status: string; run_valid: boolean; reason_codes: string[]; ended_wall: string }): void => {
  try {
    if (updateManifest(path, (m) => ({ ...m, ...patch, status: patch.status as typeof m.status }))) return
  } catch {
    // fall through to the plain merge
  }
  let current: Record<string, unknown> = {}
  try {
    current = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>
  } catch {
    current = { run_id: basename(dirname(path)) }
  }
  const tmp = `${path}.tmp-${process.pid}`
  writeFileSync(tmp, `${JSON.stringify({ ...current, ...patch }, null, 2)}\n`)
  renameSync(tmp, path)
}
