import { existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execa } from 'execa'
import type { GateResult } from '../../helpers/gates/gate'
import type { Verdict } from '../../helpers/gates/verdict'

// One real nested Vitest run of fault suites (test/faults/vitest.faults.config.ts) in a temp dir,
// and typed access to the bundle it leaves: verdicts, gates, dossier, manifest, phase records.

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
export const FAULTS_CONFIG = 'test/faults/vitest.faults.config.ts'

export interface NestedRunOptions {
  /** Suite files relative to the project root. */
  files: string[]
  /** Extra environment: TIERBENCH_EMULATOR_FAULTS, FAULT_SUITE_* knobs, external target vars. */
  env?: Record<string, string>
  /** YAML layered through TIERBENCH_CONFIG (client timeouts, time scale). */
  configYaml?: string
  /** Reuse a temp dir the caller made (it also removes it). */
  dir?: string
  /** @default 150_000 */
  timeoutMs?: number
  /** Vitest config and project to run the files with. @default the fault-suite config */
  config?: { file: string; project?: string }
}

export interface NestedRun {
  exitCode: number
  output: string
  dir: string
  /** <results>/latest, resolved. */
  runDir: string
  verdict(suite: string): Verdict
  runVerdict(): { run_valid: boolean; reason_codes: string[] }
  manifest(): { status: string; run_valid: boolean; reason_codes: string[] }
  dossier(): string
  gates(suite: string): GateResult[]
  phases(suite: string): { phase: string; interrupted: boolean; stop_reason: string | null; deltas: Record<string, unknown> }[]
  /** The suite's raw/events.jsonl. */
  events(suite: string): Record<string, unknown>[]
  /** Every *.jsonl under the run dir: lines that are not whole JSON values, and files not ending in a newline. */
  jsonlProblems(): string[]
  cleanup(): void
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T

const readJsonl = <T>(path: string): T[] =>
  existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as T)
    : []

const walk = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]))

/** The parent environment minus the outer Vitest's and tierbench's own variables. */
const baseEnv = (): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('VITEST') && !k.startsWith('TIERBENCH_') && !k.startsWith('FAULT_SUITE_') && k !== 'NODE_ENV' && !k.startsWith('DYN_KVBM_'))
      env[k] = v
  return env
}

export const makeTempDir = (): string => mkdtempSync(join(tmpdir(), 'tierbench-faults-'))

export const runNested = async (o: NestedRunOptions): Promise<NestedRun> => {
  const dir = o.dir ?? makeTempDir()
  const resultsDir = join(dir, 'results')
  const env: Record<string, string> = {
    ...baseEnv(),
    TIERBENCH_RESULTS_DIR: resultsDir,
    TIERBENCH_SCRATCH_DIR: join(dir, 'scratch'),
    TIERBENCH_PROFILE: 'smoke',
    ...o.env,
  }
  if (o.configYaml) {
    const cfg = join(dir, 'matrix.yaml')
    writeFileSync(cfg, o.configYaml)
    env.TIERBENCH_CONFIG = cfg
  }
  const config = o.config ?? { file: FAULTS_CONFIG }
  const res = await execa('npx', ['vitest', 'run', '--config', config.file, ...(config.project ? ['--project', config.project] : []), ...o.files], {
    cwd: ROOT,
    env,
    extendEnv: false,
    reject: false,
    all: true,
    timeout: o.timeoutMs ?? 150_000,
    stdin: 'ignore',
  })
  const latest = join(resultsDir, 'latest')
  // results/latest is a symlink to the run; resolve it so paths in messages name the run itself.
  const runDir = existsSync(latest) ? realpathSync(latest) : latest
  const suiteDir = (suite: string) => join(runDir, suite)
  return {
    exitCode: res.exitCode ?? -1,
    output: String(res.all ?? ''),
    dir,
    runDir,
    verdict: (suite) => readJson<Verdict>(join(suiteDir(suite), 'verdict.json')),
    runVerdict: () => readJson(join(runDir, 'verdict.json')),
    manifest: () => readJson(join(runDir, 'manifest.json')),
    dossier: () => readFileSync(join(runDir, 'dossier.md'), 'utf8'),
    gates: (suite) => readJsonl<GateResult>(join(suiteDir(suite), 'raw', 'gates.jsonl')),
    phases: (suite) => readJsonl(join(suiteDir(suite), 'raw', 'phases.jsonl')),
    events: (suite) => readJsonl(join(suiteDir(suite), 'raw', 'events.jsonl')),
    jsonlProblems: () => {
      const problems: string[] = []
      for (const f of walk(runDir).filter((p) => p.endsWith('.jsonl'))) {
        const text = readFileSync(f, 'utf8')
        if (text.length > 0 && !text.endsWith('\n')) problems.push(`${f}: does not end with a newline (cut-off last line)`)
        text.split('\n').forEach((line, i) => {
          if (line.trim() === '') return
          try {
            JSON.parse(line)
          } catch {
            problems.push(`${f}:${i + 1}: not a whole JSON line: ${line.slice(0, 120)}`)
          }
        })
      }
      return problems
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  }
}

/** Live processes whose command line mentions kvsim and `needle` (the run's temp dir): orphans. */
export const kvsimProcessesMentioning = (needle: string): { pid: number; cmdline: string }[] => {
  const out: { pid: number; cmdline: string }[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue
    let cmd: string
    try {
      cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()
    } catch {
      continue // exited while we looked
    }
    if (cmd.includes('kvsim') && cmd.includes(needle)) out.push({ pid: Number(name), cmdline: cmd })
  }
  return out
}
