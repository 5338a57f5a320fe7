import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse as parseDotenv } from 'dotenv'
import { parse as parseYaml } from 'yaml'
import { ConfigError, type ConfigIssue } from './config-error'
import { configIssuesFrom } from './config-issues'
import { DATASET_DEFAULTS } from './dataset'
import { didYouMean } from './did-you-mean'
import { ENV_VARS, HARNESS_ENV_NAMES } from './env-contract'
import { resolveKvModes } from './kv-mode-defaults'
import { type ConfigLayer, getPath, isPlain, mergeLayers, type Plain, setPath } from './layered-merge'
import { DEFAULT_MODEL_ID, type RunConfig, RunConfigInput } from './run-config'
import { RUN_PROFILE_DEFAULTS, RunProfileName } from './run-profile'
import { DynamoTargetConfig, EmulatorTargetConfig, ExternalTargetConfig,
  LlamacppTargetConfig, SglangTargetConfig, TargetKindId, VllmTargetConfig } from './target-config'

// Precedence, lowest first: code defaults < catalog files (configs/models, profiles, datasets,
// slo) < configs/targets/<kind>.yaml < the run profile's emulator settings < configs/tierbench.yaml
// < the TIERBENCH_CONFIG file < .env < environment. Everything is validated once, after merging,
// and every problem is reported together before any process starts.

export interface LoadRunConfigOptions {
  cwd: string
  env?: Record<string, string | undefined>
  /** Extra YAML layer; wins over TIERBENCH_CONFIG. Relative to cwd. */
  configFile?: string
  /** Where tierbench.yaml and the catalog live. @default `<cwd>/configs`, else the package's configs/ */
  configsDir?: string
}

const PACKAGE_CONFIGS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../configs')

const readYamlPeek = (file: string): Plain => {
  try {
    const d: unknown = parseYaml(readFileSync(file, 'utf8'))
    return isPlain(d) ? d : {}
  } catch {
    return {}
  }
}

const TARGET_KEYS: Record<TargetKindId, Set<string>> = {
  emulator: new Set(Object.keys(EmulatorTargetConfig.shape)),
  external: new Set(Object.keys(ExternalTargetConfig.shape)),
  llamacpp: new Set(Object.keys(LlamacppTargetConfig.shape)),
  vllm: new Set(Object.keys(VllmTargetConfig.shape)),
  sglang: new Set(Object.keys(SglangTargetConfig.shape)),
  dynamo: new Set(Object.keys(DynamoTargetConfig.shape)),
}

export const loadRunConfig = (opts: LoadRunConfigOptions): RunConfig => {
  const cwd = resolve(opts.cwd)
  const env = opts.env ?? process.env
  const configsDir = opts.configsDir
    ? resolve(cwd, opts.configsDir)
    : existsSync(join(cwd, 'configs')) ? join(cwd, 'configs') : PACKAGE_CONFIGS_DIR
  const issues: ConfigIssue[] = []
  const warnings: string[] = []
  const label = (file: string) => {
    const rel = relative(cwd, file)
    return rel.startsWith('..') || isAbsolute(rel) ? file : rel
  }

  const readYaml = (file: string): Plain | null => {
    try {
      const data: unknown = parseYaml(readFileSync(file, 'utf8'))
      if (data === null || data === undefined) return {}
      if (!isPlain(data)) {
        issues.push({ where: label(file), path: '', expected: 'a YAML mapping at the top level', got: JSON.stringify(data).slice(0, 80) })
        return null
      }
      return data
    } catch (err) {
      issues.push({ where: label(file), path: '', expected: 'a readable YAML file', got: (err as Error).message.split('\n')[0] })
      return null
    }
  }
  const fileLayer = (file: string, wrap: (d: Plain) => Plain = (d) => d, stripPrefix?: string): ConfigLayer | null => {
    const data = readYaml(file)
    return data ? { data: wrap(data), source: { label: label(file), withPath: true, stripPrefix } } : null
  }

  // Catalog: one file per entry, keyed by file name.
  const catalog: ConfigLayer[] = []
  const catalogDirs = [
    ['models', 'models'],
    ['slo', 'slo_presets'],
    ['profiles', 'profiles'],
    ['datasets', 'datasets'],
  ] as const
  for (const [dir, key] of catalogDirs) {
    const full = join(configsDir, dir)
    if (!existsSync(full)) continue
    for (const f of readdirSync(full).filter((n) => /\.ya?ml$/.test(n)).sort()) {
      const name = basename(f).replace(/\.ya?ml$/, '')
      const layer = fileLayer(join(full, f), (d) => ({ [key]: { [name]: d } }), `${key}.${name}.`)
      if (layer) catalog.push(layer)
    }
  }

  const defaults: ConfigLayer = {
    data: { target: { kind: 'emulator' }, profiles: RUN_PROFILE_DEFAULTS, datasets: DATASET_DEFAULTS, models: {}, slo_presets: {} },
    source: { label: 'defaults', withPath: true },
  }

  const upper: ConfigLayer[] = []
  const base = join(configsDir, 'tierbench.yaml')
  if (existsSync(base)) {
    const l = fileLayer(base)
    if (l) upper.push(l)
  }
  const extra = opts.configFile ?? env.TIERBENCH_CONFIG
  if (extra) {
    const file = resolve(cwd, extra)
    if (!existsSync(file))
      issues.push({ where: opts.configFile ? 'configFile' : 'env TIERBENCH_CONFIG', path: '', expected: 'an existing YAML file', got: JSON.stringify(extra) })
    else {
      const l = fileLayer(file)
      if (l) upper.push(l)
    }
  }

  // .env is parsed, never loaded into process.env: a config read must not change the process.
  const envLayers: Array<{ vars: Record<string, string | undefined>; prefix: string }> = []
  const dotenvFile = join(cwd, '.env')
  if (existsSync(dotenvFile)) envLayers.push({ vars: parseDotenv(readFileSync(dotenvFile)), prefix: '.env' })
  envLayers.push({ vars: env, prefix: 'env' })

  const known = new Set(ENV_VARS.map((v) => v.name))
  const envValue = (raw: string, type: 'string' | 'number') =>
    type === 'number' && /^-?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw.trim()) : raw
  // The kind decides which target-specific variables apply, so find it first.
  const topKind = (() => {
    for (const { vars } of [...envLayers].reverse()) if (vars.TIERBENCH_TARGET) return vars.TIERBENCH_TARGET
    for (const l of [...upper].reverse()) {
      const k = getPath(l.data, ['target', 'kind'])
      if (k !== undefined) return k
    }
    return 'emulator'
  })()
  const kind = TargetKindId.safeParse(topKind).success ? (topKind as TargetKindId) : null

  for (const { vars, prefix } of envLayers) {
    const data: Plain = {}
    const sources = new Map<string, string>()
    for (const spec of ENV_VARS) {
      const raw = vars[spec.name]
      if (raw === undefined || raw === '' || spec.path === null) continue
      if (spec.targetKinds && kind && !spec.targetKinds.includes(kind)) {
        warnings.push(`${prefix} ${spec.name} ignored: it applies to target ${spec.targetKinds.join('/')}, not ${kind}`)
        continue
      }
      setPath(data, spec.path, envValue(raw, spec.type))
      sources.set(spec.path, `${prefix} ${spec.name}`)
    }
    // A misspelled variable would otherwise be silently ignored (TIERBENCH_PROFLE=full runs smoke).
    for (const name of Object.keys(vars))
      if (name.startsWith('TIERBENCH_') && !known.has(name) && !HARNESS_ENV_NAMES.includes(name)) {
        const near = didYouMean(name, [...known])
        warnings.push(`${prefix} ${name} is not a tierbench setting and is ignored${near ? `; did you mean ${near}?` : ` (settings: docs/configuration.md)`}`)
      }
    upper.push({ data, source: (path) => ({ label: sources.get(path) ?? prefix, withPath: false }) })
  }

  // A kind chosen by a higher layer drops lower layers' fields of other kinds (with a warning), so
  // TIERBENCH_TARGET=emulator works next to a tierbench.yaml written for an external stack.
  if (kind) {
    let kindLayer = -1
    upper.forEach((l, i) => {
      if (getPath(l.data, ['target', 'kind']) !== undefined) kindLayer = i
    })
    upper.forEach((l, i) => {
      const t = l.data.target
      if (i >= kindLayer || !isPlain(t)) return
      for (const key of Object.keys(t)) {
        const ownedElsewhere = Object.values(TARGET_KEYS).some((s) => s.has(key))
        if (!TARGET_KEYS[kind].has(key) && ownedElsewhere) {
          delete t[key]
          warnings.push(`target.${key} ignored: not a setting of the ${kind} target`)
        }
      }
    })
  }

  const targetLayers: ConfigLayer[] = []
  if (kind) {
    const file = [join(configsDir, 'targets', `${kind}.yaml`), join(configsDir, 'targets', `${kind}-spark.yaml`)].find(existsSync)
    if (file) {
      const bare = kind === 'dynamo' && !('kind' in readYamlPeek(file))
      const layer = fileLayer(file, (d) => ({ target: bare ? { dynamo: d } : d }), bare ? 'target.dynamo.' : 'target.')
      if (layer) targetLayers.push(layer)
    }
  }

  // The run profile's emulator settings sit below tierbench.yaml and env, above targets/emulator.yaml.
  const profileLayers: ConfigLayer[] = []
  const first = mergeLayers([defaults, ...catalog, ...upper]).value
  const profileName = RunProfileName.safeParse(first.profile ?? 'smoke')
  if (kind === 'emulator' && profileName.success) {
    const emu = getPath(first, ['profiles', profileName.data, 'emulator'])
    if (isPlain(emu))
      profileLayers.push({
        data: { target: { profile: emu.profile, time_scale: emu.time_scale } },
        source: { label: `run profile ${profileName.data} (profiles.${profileName.data}.emulator)`, withPath: true },
      })
  }

  const merged = mergeLayers([defaults, ...catalog, ...targetLayers, ...profileLayers, ...upper])
  const parsed = RunConfigInput.safeParse(merged.value)
  if (!parsed.success) issues.push(...configIssuesFrom(parsed.error, merged))
  if (issues.length > 0 || !parsed.success) throw new ConfigError(issues)

  const c = parsed.data
  const modelId = c.model ?? (c.target.kind === 'emulator' ? c.target.profile : DEFAULT_MODEL_ID)
  const model = c.models[modelId]
  const sources = ['defaults', ...[...catalog, ...targetLayers, ...upper.filter((l) => typeof l.source !== 'function')].map((l) => (l.source as { label: string }).label)]
  if (envLayers.some((l) => l.prefix === '.env')) sources.push('.env')
  sources.push('env')
  return {
    target: c.target,
    model,
    profile: c.profiles[c.profile],
    slo: c.slo_presets[c.slo ?? model.slo],
    dataset: c.datasets[c.dataset],
    datasets: c.datasets,
    kvModes: resolveKvModes(c.kv_modes),
    models: c.models,
    sloPresets: c.slo_presets,
    seed: c.seed,
    resultsDir: resolve(cwd, c.results_dir),
    scratchDir: c.scratch_dir ? resolve(cwd, c.scratch_dir) : join(resolve(cwd, c.results_dir), '.scratch'),
    telemetry: c.telemetry,
    client: c.client,
    trace: { ...c.trace, ...(c.trace.path ? { path: resolve(cwd, c.trace.path) } : {}) },
    sources,
    warnings,
  }
}
