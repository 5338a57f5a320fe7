import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse as parseYaml } from 'yaml'
import { type KvModeId, KvModeId as KvModeIdSchema } from '../config/kv-mode'
import { ModelSpec } from '../config/model-spec'
import { tierCapacitiesFor } from '../trace/tier-capacities'
import { analyzeTrace } from '../trace/trace-whatif'
import { formatWhatIf } from '../trace/whatif-text'
import { writeWhatIfFiles } from '../trace/whatif-files'
import { readMooncakeTrace, TraceFileError } from '../workload/mooncake-trace'

// `tierbench trace-analyze <file>`: the what-if analysis of a Mooncake-format trace, printed (and
// optionally written as CSV/PNG/JSON), without starting anything.

export const TRACE_ANALYZE_USAGE = `  trace-analyze <file> [options]   What-if analysis of a Mooncake-format trace (JSONL or .jsonl.gz), no server:
                                   ideal and LRU hit ratio by cache size, reuse distances, tier predictions.
      --profile <id>               model spec (configs/models/<id>.yaml): KV bytes/token for bytes and disk read bytes/s
      --first-n <n>                analyse only the first n rows
      --length-scale <x>           lengths as replayed (0.125 = 1/8); capacities compare at that size (default 1)
      --time-scale <x>             replay time factor (0.25 = 4x faster) for the disk read rate (default 1)
      --device-tokens <n>          device (G1) KV capacity in tokens (default: kvsim profile's G1, else unknown)
      --host-gb <x> --disk-gb <x>  host / disk tier sizes (default: the mode's defaults, 8 / 32 GB)
      --mode <B1|B2|B2p|B3>        tier layout the prediction uses (default B2)
      --out <dir>                  also write whatif.json, whatif_curve.csv, whatif_reuse.csv and two PNG charts`

interface Io {
  out: (line: string) => void
  err: (line: string) => void
}

const CONFIGS = resolve(dirname(fileURLToPath(import.meta.url)), '../../configs')

const loadModel = (id: string, cwd: string): ModelSpec => {
  const dir = [join(cwd, 'configs', 'models'), join(CONFIGS, 'models')].find((d) => existsSync(join(d, `${id}.yaml`)))
  if (!dir) {
    const known = existsSync(join(CONFIGS, 'models')) ? readdirSync(join(CONFIGS, 'models')).map((f) => f.replace(/\.ya?ml$/, '')) : []
    throw new Error(`Expected --profile to be one of ${known.join('|')}, got ${JSON.stringify(id)}`)
  }
  const r = ModelSpec.safeParse(parseYaml(readFileSync(join(dir, `${id}.yaml`), 'utf8')))
  if (!r.success) throw new Error(`Expected a valid model spec in configs/models/${id}.yaml, got ${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message}`)
  return r.data
}

const VALUE_FLAGS = ['--profile', '--first-n', '--length-scale', '--time-scale', '--device-tokens', '--host-gb', '--disk-gb', '--mode', '--out'] as const

export const traceAnalyzeCommand = async (args: string[], io: Io, cwd = process.cwd()): Promise<number> => {
  const opts: Record<string, string> = {}
  const positional: string[] = []
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    if (a.startsWith('--')) {
      const [flag, inline] = a.split('=', 2)
      if (!(VALUE_FLAGS as readonly string[]).includes(flag)) {
        io.err(`tierbench trace-analyze: Expected an option of ${VALUE_FLAGS.join(' ')}, got ${flag}`)
        return 2
      }
      const v = inline ?? args[++i]
      if (v === undefined) {
        io.err(`tierbench trace-analyze: Expected a value after ${flag}, got none`)
        return 2
      }
      opts[flag.slice(2)] = v
    } else positional.push(a)
  }
  if (positional.length !== 1) {
    io.err(`tierbench trace-analyze: Expected exactly one trace file, got ${positional.length}`)
    io.err(TRACE_ANALYZE_USAGE)
    return 2
  }
  const num = (name: string, ok: (x: number) => boolean, what: string): number | undefined => {
    if (opts[name] === undefined) return undefined
    const x = Number(opts[name])
    if (!Number.isFinite(x) || !ok(x)) throw new RangeError(`Expected --${name} to be ${what}, got ${JSON.stringify(opts[name])}`)
    return x
  }
  try {
    const firstN = num('first-n', (x) => Number.isInteger(x) && x > 0, 'a positive integer')
    const lengthScale = num('length-scale', (x) => x > 0, 'a positive number') ?? 1
    const timeScale = num('time-scale', (x) => x > 0, 'a positive number') ?? 1
    const deviceTokens = num('device-tokens', (x) => x >= 0, 'a non-negative number') ?? null
    const hostGb = num('host-gb', (x) => x >= 0, 'a non-negative number')
    const diskGb = num('disk-gb', (x) => x >= 0, 'a non-negative number')
    const modeId = (opts.mode ?? 'B2') as KvModeId
    if (!KvModeIdSchema.safeParse(modeId).success) throw new RangeError(`Expected --mode to be one of ${KvModeIdSchema.options.join('|')}, got ${JSON.stringify(opts.mode)}`)
    const model = opts.profile ? loadModel(opts.profile, cwd) : null
    const path = resolve(cwd, positional[0])
    const t0 = performance.now()
    const rows = readMooncakeTrace(path, firstN)
    if (rows.length === 0) throw new TraceFileError(`Expected at least one row in ${path}, got an empty trace`)
    const analysis = analyzeTrace(rows, { lengthScale, timeScale, kvBytesPerToken: model?.kv_bytes_per_token ?? null })
    const mode = { id: modeId, ...(hostGb !== undefined ? { cpuCacheGb: hostGb } : {}), ...(diskGb !== undefined ? { diskCacheGb: diskGb } : {}) }
    const cap = model
      ? tierCapacitiesFor({ mode, model, emulatorProfile: model.id, deviceTokens })
      : { capacities: { device_tokens: deviceTokens, host_tokens: null, disk_tokens: null }, source: 'no --profile: only --device-tokens (bytes unknown)' }
    const prediction = analysis.predict(cap.capacities)
    const ms = performance.now() - t0
    const shown = relative(cwd, path) || path
    for (const line of formatWhatIf(analysis.whatIf, { [modeId]: cap.capacities }, { [modeId]: prediction }, cap.source)) io.out(line)
    io.out(`analysed ${rows.length} rows of ${shown} in ${(ms / 1000).toFixed(2)} s`)
    if (opts.out) {
      const files = writeWhatIfFiles(resolve(cwd, opts.out), {
        trace: { path, first_n: firstN ?? null, length_scale: lengthScale, time_scale: timeScale },
        whatIf: analysis.whatIf,
        capacities: { [modeId]: cap.capacities },
        predictions: { [modeId]: prediction },
        capacity_source: cap.source,
      })
      io.out(`wrote ${Object.values(files).filter(Boolean).map((f) => relative(cwd, f as string)).join(', ')}`)
    }
    return 0
  } catch (err) {
    const e = err as Error
    // Bad input (missing file, malformed row, bad option) is one actionable line, no stack.
    const expected = e instanceof TraceFileError || e instanceof RangeError || /^Expected /.test(e.message)
    io.err(`tierbench trace-analyze: ${expected ? e.message : (e.stack ?? e.message)}`)
    return expected ? 2 : 1
  }
}
