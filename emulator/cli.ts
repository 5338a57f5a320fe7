import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { FaultSpecError, parseFaults } from './faults'
import { parseTimingTruth } from './engine/timing-truth-engine'
import { PROFILES } from './profiles'
import { METRIC_DIALECTS, isMetricDialect } from './server/tier-metrics'
import type { StartKvsimOptions } from './index'

// `kvsim` command line: start the emulator, print one JSON ready line on stdout, log JSON lines on
// stderr, shut down cleanly on SIGTERM/SIGINT (or when the parent's stdin pipe closes).

export const USAGE = `Usage: kvsim --profile <name> [--port 0] [--host 127.0.0.1] [--kvbm-metrics-port <n>]
             [--faults <spec>] [--time-scale <f>] [--io-scale <n>] [--cache-dir <dir>]
             [--adapters-dir <dir>] [--max-batch-size <n>] [--max-body-bytes <n>] [--exit-with-parent]
             [--timing-truth <first_ms>,<itl_ms>,<tokens>] [--write-log <file.jsonl>]
             [--backend ${METRIC_DIALECTS.join('|')}]
Profiles: ${Object.keys(PROFILES).join(', ')}
Mode comes from DYN_KVBM_* (B0 none, B1 CPU_CACHE_GB, B2 + DISK_CACHE_GB, B2p + DISABLE_DISK_OFFLOAD_FILTER, B3 disk only).
--backend picks the metric dialect of the tier-metrics port (default kvbm; the others answer in every mode).`

export class CliError extends Error {}

export interface CliArgs extends StartKvsimOptions {
  exitWithParent: boolean
  help: boolean
}

const intArg = (name: string, v: string | undefined, min: number, max: number): number | undefined => {
  if (v === undefined) return undefined
  const n = Number(v)
  if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max)
    throw new CliError(`Expected --${name} to be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`)
  return n
}
const numArg = (name: string, v: string | undefined, ok: (n: number) => boolean, expected: string): number | undefined => {
  if (v === undefined) return undefined
  const n = Number(v)
  if (v.trim() === '' || !Number.isFinite(n) || !ok(n)) throw new CliError(`Expected --${name} to be ${expected}, got ${JSON.stringify(v)}`)
  return n
}

/** Parses kvsim's flags; throws CliError with an `Expected … got …` message. */
export const parseCliArgs = (argv: string[]): CliArgs => {
  let values: Record<string, string | boolean | undefined>
  try {
    ;({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        profile: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'kvbm-metrics-port': { type: 'string' },
        backend: { type: 'string' },
        faults: { type: 'string' },
        'time-scale': { type: 'string' },
        'io-scale': { type: 'string' },
        'cache-dir': { type: 'string' },
        'adapters-dir': { type: 'string' },
        'max-batch-size': { type: 'string' },
        'max-body-bytes': { type: 'string' },
        'exit-with-parent': { type: 'boolean' },
        'timing-truth': { type: 'string' },
        'write-log': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }))
  } catch (e) {
    throw new CliError(`Expected kvsim flags, got: ${(e as Error).message}`)
  }
  const s = (k: string) => values[k] as string | undefined
  const help = values.help === true
  const profile = s('profile')
  if (!help) {
    if (profile === undefined) throw new CliError('Expected --profile <name>, got nothing')
    if (!Object.hasOwn(PROFILES, profile))
      throw new CliError(`Expected --profile to be one of ${Object.keys(PROFILES).join(', ')}, got ${JSON.stringify(profile)}`)
  }
  const faults = s('faults')
  if (faults !== undefined) {
    try {
      parseFaults(faults)
    } catch (e) {
      if (e instanceof FaultSpecError) throw new CliError(`Expected --faults to be a valid fault spec: ${e.message}`)
      throw e
    }
  }
  const truth = s('timing-truth')
  if (truth !== undefined) {
    try {
      parseTimingTruth(truth)
    } catch (e) {
      throw new CliError((e as Error).message)
    }
  }
  const backend = s('backend')
  if (backend !== undefined && !isMetricDialect(backend))
    throw new CliError(`Expected --backend to be one of ${METRIC_DIALECTS.join(', ')}, got ${JSON.stringify(backend)}`)
  for (const dirFlag of ['cache-dir', 'adapters-dir', 'host', 'write-log'])
    if (s(dirFlag) === '') throw new CliError(`Expected --${dirFlag} to be non-empty, got ""`)
  return {
    profile: profile ?? 'tiny',
    port: intArg('port', s('port'), 0, 65535) ?? 0,
    host: s('host') ?? '127.0.0.1',
    kvbmMetricsPort: intArg('kvbm-metrics-port', s('kvbm-metrics-port'), 0, 65535),
    backend: backend ?? 'kvbm',
    faults: faults ?? '',
    timeScale: numArg('time-scale', s('time-scale'), (n) => n > 0, 'a number > 0') ?? 1,
    ioScale: numArg('io-scale', s('io-scale'), (n) => n >= 1, 'a number >= 1') ?? 1,
    cacheDir: s('cache-dir'),
    adaptersDir: s('adapters-dir'),
    maxBatchSize: intArg('max-batch-size', s('max-batch-size'), 1, 65536),
    maxBodyBytes: intArg('max-body-bytes', s('max-body-bytes'), 1024, 2 ** 31 - 1),
    timingTruth: truth,
    writeLogPath: s('write-log'),
    exitWithParent: values['exit-with-parent'] === true,
    help,
  }
}

const logLine = (entry: Record<string, unknown>) => {
  process.stderr.write(`${JSON.stringify({ ts: new Date().toISOString(), pid: process.pid, ...entry })}\n`)
}

/** Runs kvsim until a signal or (with --exit-with-parent) stdin closes. Resolves with the exit code. */
export const runCli = async (argv: string[]): Promise<number> => {
  let args: CliArgs
  try {
    args = parseCliArgs(argv)
  } catch (e) {
    if (!(e instanceof CliError)) throw e
    process.stderr.write(`kvsim: ${e.message}\n${USAGE}\n`)
    return 2
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  const { startKvsim } = await import('./index')
  let handle: Awaited<ReturnType<typeof startKvsim>> | null = null
  let stopping: string | null = null
  let finish: (code: number) => void = () => {}
  const done = new Promise<number>((resolve) => (finish = resolve))

  const shutdown = () => {
    if (!handle) return
    handle.close().then(
      () => {
        logLine({ level: 'info', msg: 'stopped' })
        finish(0)
      },
      (e) => {
        logLine({ level: 'error', msg: 'shutdown failed', error: String(e) })
        finish(1)
      },
    )
  }
  const stop = (reason: string, repeatable = true) => {
    if (stopping !== null && !repeatable) return
    if (stopping !== null) {
      // A second signal means "now": skip the graceful path.
      logLine({ level: 'warn', msg: 'second stop request, exiting immediately', reason })
      finish(1)
      return
    }
    stopping = reason
    logLine({ level: 'info', msg: 'shutting down', reason })
    shutdown()
  }
  // Handlers go in before anything starts, so a signal during startup or right after the ready
  // line still shuts down cleanly.
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
  // Whoever started us (npx, a shell, the harness) may die without signalling us (npx killed
  // leaves us reparented): exit when our parent changes. Linux has no PR_SET_PDEATHSIG from Node.
  const parentAtStart = process.ppid
  setInterval(() => {
    if (process.ppid !== parentAtStart) stop(`parent ${parentAtStart} exited`, false)
  }, 500).unref()
  if (args.exitWithParent) {
    // The harness spawns kvsim with a stdin pipe: EOF means the parent is gone.
    process.stdin.on('end', () => stop('stdin closed', false))
    process.stdin.on('close', () => stop('stdin closed', false))
    process.stdin.on('error', () => stop('stdin error', false))
    process.stdin.resume()
  }

  try {
    handle = await startKvsim({ ...args, log: logLine })
  } catch (e) {
    logLine({ level: 'fatal', msg: 'kvsim failed to start', error: String((e as Error)?.stack ?? e) })
    return 1
  }
  if (stopping !== null) shutdown()
  else process.stdout.write(`${JSON.stringify(handle.info())}\n`)
  return done
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href
if (isMain) process.exit(await runCli(process.argv.slice(2)))
