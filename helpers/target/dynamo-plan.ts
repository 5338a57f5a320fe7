import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { KvModeId, type KvModeId as KvModeIdT } from '../config/kv-mode'
import { DynamoTargetError } from './dynamo-error'
import { dynamoCliFor } from './dynamo-version'
import { registryBackends, type BackendLookup } from './dynamo-worker-launch'
import {
  aliveStep,
  applyModeSteps,
  portCheckStep,
  versionsStep,
  containerInspectStep,
  containerUpSteps,
  discoverySteps,
  listNvidiaFsDevices,
  frontendStartStep,
  logCaptureSteps,
  provenanceSteps,
  readPidStep,
  shQuote,
  stopProcessStep,
  stopSteps,
  type DynamoStep,
  type StepContext,
} from './dynamo-commands'
import { DynamoBackendName, DynamoEngineKind, loadDynamoConfig, parseDynamoConfig, type DynamoConfig } from './dynamo-config'
import { homedir } from 'node:os'

// `npx tierbench plan --target dynamo [--dynamo-version 1.6] [--engine vllm] [--backend lmcache] suites/h2b`: every command the Dynamo driver would run for
// those suites, numbered, with env and why, without running any. The steps come from the same
// functions the driver executes (dynamo-commands.ts), so the plan cannot drift from the run.

export const DEFAULT_DYNAMO_CONFIG = 'configs/targets/dynamo-spark.yaml'

export interface PlanIo {
  stdout: (s: string) => void
  stderr: (s: string) => void
  cwd: string
}

const MODE_ORDER = KvModeId.options

/** Suite files for a CLI argument: a file, a directory (recursive), or a prefix (`suites/h2b` → `suites/h2b*.test.ts`). */
export const resolveSuiteFiles = (arg: string, cwd: string): string[] => {
  const abs = resolve(cwd, arg)
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
    )
  if (existsSync(abs) && statSync(abs).isDirectory()) return walk(abs).sort()
  if (existsSync(abs) && statSync(abs).isFile()) return [abs]
  const dir = dirname(abs)
  if (!existsSync(dir)) return []
  const prefix = basename(abs)
  return readdirSync(dir)
    .filter((n) => n.startsWith(prefix) && n.endsWith('.test.ts'))
    .map((n) => join(dir, n))
    .sort()
}

/** KV modes named by `mode:*` tags in a suite's source, in canonical order. */
export const suiteModes = (source: string): KvModeIdT[] => {
  const found = new Set<string>()
  for (const m of source.matchAll(/\bmode:(B2p|B0|B1|B2|B3)\b/g)) found.add(m[1])
  return MODE_ORDER.filter((m) => found.has(m))
}

const formatStep = (n: number, step: DynamoStep): string => {
  const lines = [`${String(n).padStart(3)}. [${step.id}] ${step.title}${step.optional ? ' (may fail)' : ''}`]
  lines.push(`     $ ${step.argv.map(shQuote).join(' ')}${step.input !== undefined ? ' <<EOF' : ''}`)
  if (step.input !== undefined) lines.push(...step.input.trimEnd().split('\n').map((l) => `       ${l}`), '       EOF')
  const set = Object.entries(step.env).filter(([, v]) => v !== undefined)
  const unset = Object.entries(step.env).filter(([, v]) => v === undefined).map(([k]) => k)
  if (set.length > 0) lines.push(`     env: ${set.map(([k, v]) => `${k}=${v}`).join(' ')}`)
  if (unset.length > 0) lines.push(`     unset: ${unset.join(' ')}`)
  if (step.inProcess) lines.push('     (the driver does this itself; the command shows the equivalent)')
  lines.push(`     why: ${step.why}`)
  return lines.join('\n')
}

/** The full ordered plan for a config and a list of modes; a mode the stack cannot run shows MODE_UNSUPPORTED and why. */
export const planSteps = (ctx: StepContext, modes: KvModeIdT[]): { section: string; steps: DynamoStep[] }[] => {
  const { config } = ctx
  const baseUrl = `http://${config.host}:${config.ports.frontend}`
  const kvbmMetricsUrl = `http://${config.host}:${config.ports.kvbm_metrics}/metrics`
  const docker = config.launcher === 'docker'
  const fe = frontendStartStep(ctx)
  const sections: { section: string; steps: DynamoStep[] }[] = []
  sections.push({
    section: docker ? 'start: container (attach instead of 2–4 when it is already running)' : 'start: host processes',
    steps: docker ? [containerInspectStep(ctx), ...containerUpSteps(ctx)] : [],
  })
  sections.push({ section: 'start: versions (before anything starts; they choose the command line)', steps: [versionsStep(ctx)] })
  sections.push({ section: 'start: provenance', steps: provenanceSteps(ctx).filter((s) => s.id !== 'prov-versions') })
  sections.push({ section: 'start: discovery', steps: discoverySteps(ctx) })
  sections.push({
    section: 'start: frontend (watched from start: an exit is FRONTEND_EXITED with its log tail)',
    steps: fe
      ? docker
        ? [stopProcessStep(ctx, 'frontend', null), portCheckStep(ctx, 'frontend'), fe, readPidStep(ctx, 'frontend'), aliveStep(ctx, 'frontend', null)]
        : [portCheckStep(ctx, 'frontend'), fe, aliveStep(ctx, 'frontend', null)]
      : [],
  })
  for (const id of modes) {
    try {
      sections.push({ section: `mode ${id} (applyMode)`, steps: applyModeSteps(ctx, { id }, { baseUrl, kvbmMetricsUrl, workerPid: null }) })
    } catch (err) {
      if (!(err instanceof DynamoTargetError)) throw err
      sections.push({ section: `mode ${id} (applyMode): ${err.message}`, steps: [] })
    }
  }
  sections.push({
    section: 'stop (logs first: worker.log and frontend.log span every mode)',
    steps: [...logCaptureSteps(ctx), ...stopSteps(ctx, { removeContainer: true, workerPid: null, frontendPid: null })],
  })
  return sections.filter((s) => s.steps.length > 0 || s.section.includes('MODE_UNSUPPORTED'))
}

const parseArgs = (argv: string[]) => {
  const args = argv[0] === 'plan' ? argv.slice(1) : argv
  const flags: Record<string, string | null> = { target: 'dynamo', config: null, 'dynamo-version': null, engine: null, backend: null }
  const suites: string[] = []
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a)
    if (m && m[1] in flags) flags[m[1]] = m[2] ?? args[++i] ?? ''
    else if (a.startsWith('-')) throw new Error(`Expected --target, --config, --dynamo-version, --engine, --backend or suite paths, got ${a}`)
    else suites.push(a)
  }
  return { target: flags.target as string, config: flags.config, dynamoVersion: flags['dynamo-version'], engine: flags.engine, backend: flags.backend, suites }
}

/** Prints the plan; returns the process exit code (0 ok, 2 usage or config error). */
export const planCommand = async (argv: string[], io: Partial<PlanIo> & { backends?: BackendLookup } = {}): Promise<number> => {
  const out = io.stdout ?? ((s: string) => void process.stdout.write(s))
  const err = io.stderr ?? ((s: string) => void process.stderr.write(s))
  const cwd = io.cwd ?? process.cwd()
  try {
    const args = parseArgs(argv)
    if (args.target !== 'dynamo') throw new Error(`Expected --target dynamo (the only target with a command plan), got ${args.target || '(empty)'}`)
    if (args.suites.length === 0) throw new Error('Expected at least one suite path (e.g. suites/h2b), got none')
    if (args.engine !== null && !DynamoEngineKind.safeParse(args.engine).success)
      throw new Error(`Expected --engine ${DynamoEngineKind.options.join('|')}, got ${args.engine || '(empty)'}`)
    if (args.backend !== null && !DynamoBackendName.safeParse(args.backend).success)
      throw new Error(`Expected --backend ${DynamoBackendName.options.join('|')}, got ${args.backend || '(empty)'}`)
    const configFile = resolve(cwd, args.config ?? process.env.TIERBENCH_DYNAMO_CONFIG ?? DEFAULT_DYNAMO_CONFIG)
    const loaded: DynamoConfig = loadDynamoConfig(configFile)
    const config = parseDynamoConfig(
      {
        ...loaded,
        dynamo_version: args.dynamoVersion ?? loaded.dynamo_version,
        worker: { engine: args.engine ?? loaded.worker.engine, backend: args.backend ?? (args.engine ? null : loaded.worker.backend) },
      },
      `${relative(cwd, configFile)} with the command-line overrides`,
    )
    const files = args.suites.flatMap((s) => {
      const found = resolveSuiteFiles(s, cwd)
      if (found.length === 0) throw new Error(`Expected suite files matching ${s}, got none`)
      return found
    })
    const perFile = files.map((f) => ({ file: relative(cwd, f), modes: suiteModes(readFileSync(f, 'utf8')) }))
    const modes = MODE_ORDER.filter((m) => perFile.some((p) => p.modes.includes(m)))
    if (modes.length === 0) throw new Error(`Expected mode:* tags in ${perFile.map((p) => p.file).join(', ')}, got none`)
    const cli = config.dynamo_version === 'auto' ? dynamoCliFor(null, 'unknown') : dynamoCliFor(config.dynamo_version, 'config')
    const ctx: StepContext = {
      config,
      home: homedir(),
      nvidiaFsDevices: listNvidiaFsDevices(),
      hostEngineYamlPath: config.host_process.engine_yaml_path ?? '<scratch>/engine.yaml',
      hostLogsDir: '<run dir>/logs',
      hostScratch: '<scratch>',
      cli,
      backends: io.backends ?? registryBackends(config),
    }
    const lines = [
      `tierbench plan — target dynamo, launcher ${config.launcher}, config ${relative(cwd, configFile)}`,
      `worker dynamo.${config.worker.engine}, tiering backend ${config.worker.backend ?? '(engine default)'}; Dynamo ${
        config.dynamo_version === 'auto'
          ? 'version read inside the image at run time — this plan shows the newest command line (pass --dynamo-version to choose)'
          : `${config.dynamo_version} (${cli.generation === 'discovery-backend' ? '--discovery-backend, --model' : '--store-kv, --model-path'})`
      }`,
      ...(cli.warning && config.dynamo_version !== 'auto' ? [`warning: ${cli.warning}`] : []),
      ...perFile.map((p) => `suite ${p.file}: modes ${p.modes.join(', ') || '(none)'}`),
      `modes in order: ${modes.join(', ')}`,
      'Nothing below is run. <pid of …> is known only at run time.',
      '',
    ]
    let n = 0
    for (const section of planSteps(ctx, modes)) {
      lines.push(`── ${section.section}`)
      for (const step of section.steps) lines.push(formatStep(++n, step))
      lines.push('')
    }
    out(lines.join('\n'))
    return 0
  } catch (e) {
    err(`tierbench plan: ${(e as Error).message}\n`)
    return 2
  }
}

