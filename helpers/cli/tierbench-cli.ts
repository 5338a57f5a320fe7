import { existsSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildRunArtifacts } from '../../reporters/build-artifacts'
import { verdictParagraph } from '../../reporters/report-markdown'
import { TRACE_ANALYZE_USAGE, traceAnalyzeCommand } from './trace-analyze-command'

// `tierbench` command line: `report` regenerates every derived artifact of a run dir from its raw
// files alone; `plan` is the Dynamo engineer's planner (helpers/target/dynamo-plan.ts), loaded lazily
// so `report` works on machines without it.

export const USAGE = `Usage: tierbench <command> [options]

Commands:
  report <run-dir> [--no-charts]   Regenerate verdict.json, summary.json, CSVs, charts, report.md and
                                   dossier.md of a run directory (e.g. results/latest) from its raw files.
  plan [args…]                     Print the Dynamo/Spark plan (delegates to helpers/target/dynamo-plan.ts),
                                   then each phase's tier plan, expected capacities, working set and
                                   estimated minutes (TIERBENCH_PROFILE, default full).
${TRACE_ANALYZE_USAGE}
  help, --help, -h                 Show this help.

Exit codes: 0 ok, 1 the command failed, 2 bad arguments.`

export interface CliIo {
  out: (line: string) => void
  err: (line: string) => void
}

const defaultIo: CliIo = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) }

const usageError = (io: CliIo, message: string): number => {
  io.err(`tierbench: ${message}`)
  io.err(USAGE)
  return 2
}

export const reportCommand = async (args: string[], io: CliIo): Promise<number> => {
  const flags = args.filter((a) => a.startsWith('-'))
  const positional = args.filter((a) => !a.startsWith('-'))
  const unknown = flags.filter((f) => f !== '--no-charts')
  if (unknown.length) return usageError(io, `Expected options of \`report\` to be --no-charts, got ${unknown.join(' ')}`)
  if (positional.length !== 1) return usageError(io, `Expected exactly one run directory for \`report\`, got ${positional.length}`)
  const runDir = resolve(positional[0]!)
  if (!existsSync(runDir) || !statSync(runDir).isDirectory())
    return usageError(io, `Expected <run-dir> to be a directory, got ${JSON.stringify(positional[0])} (not found)`)
  if (!existsSync(join(runDir, 'manifest.json')) && !existsSync(join(runDir, 'raw')))
    return usageError(io, `Expected <run-dir> to hold a run bundle (manifest.json or raw/), got neither in ${runDir}`)
  try {
    const res = await buildRunArtifacts(runDir, { charts: !flags.includes('--no-charts') })
    const shown = relative(process.cwd(), runDir) || runDir
    io.out(`tierbench report: ${shown}: ${res.files.length} files for ${res.suites.length} suite(s); run_valid ${res.run_verdict.run_valid}, decision_grade ${res.run_verdict.decision_grade}, outcome ${res.run_verdict.outcome}`)
    for (const v of res.verdicts) io.out(`  ${verdictParagraph(v, null).replace(/\*\*/g, '')}`)
    io.out(`  dossier: ${join(shown, 'dossier.md')}`)
    return 0
  } catch (err) {
    io.err(`tierbench report: Expected to rebuild ${runDir}, got ${(err as Error).stack ?? err}`)
    return 1
  }
}

export const planCommand = async (args: string[], io: CliIo): Promise<number> => {
  const url = new URL('../target/dynamo-plan.ts', import.meta.url)
  if (!existsSync(fileURLToPath(url))) {
    io.err('tierbench plan: Expected helpers/target/dynamo-plan.ts (the Dynamo planner), got no such file in this checkout')
    return 1
  }
  const mod = (await import(url.href)) as { planCommand?: (argv: string[]) => unknown }
  if (typeof mod.planCommand !== 'function') {
    io.err('tierbench plan: Expected helpers/target/dynamo-plan.ts to export planCommand(argv), got no such export')
    return 1
  }
  const code = await mod.planCommand(args)
  if (typeof code === 'number' && code !== 0) return code
  // Then the tier plan of every phase, its expected capacities, working set and duration.
  try {
    const { tierPlanSection } = await import('../tiers/tier-plan-cli')
    for (const line of await tierPlanSection(args, process.cwd())) io.out(line)
  } catch (err) {
    io.err(`tierbench plan: Expected to compute the tier plans, got ${(err as Error).message}`)
    return 1
  }
  return 0
}

export const runCli = async (argv: string[], io: CliIo = defaultIo): Promise<number> => {
  const [cmd, ...rest] = argv
  switch (cmd) {
    case 'report':
      return reportCommand(rest, io)
    case 'plan':
      return planCommand(rest, io)
    case 'trace-analyze':
      return traceAnalyzeCommand(rest, io)
    case 'help':
    case '--help':
    case '-h':
      io.out(USAGE)
      return 0
    case undefined:
      return usageError(io, 'Expected a command, got none')
    default:
      return usageError(io, `Expected a command (report, plan, trace-analyze, help), got ${JSON.stringify(cmd)}`)
  }
}
