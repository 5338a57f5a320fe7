import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { ConfigError } from '../../../helpers/config/config-error'
import { loadRunConfig } from '../../../helpers/config/load-run-config'

const REPO_CONFIGS = resolve(__dirname, '../../../configs')

let cwd: string
const write = (rel: string, text: string) => writeFileSync(join(cwd, rel), text)
const errorOf = (fn: () => unknown): ConfigError => {
  try {
    fn()
  } catch (err) {
    if (err instanceof ConfigError) return err
    throw err
  }
  throw new Error('Expected a ConfigError, got a successful load')
}

beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'tierbench-config-'))
  cpSync(REPO_CONFIGS, join(cwd, 'configs'), { recursive: true })
})
afterEach(() => rmSync(cwd, { recursive: true, force: true }))

describe('precedence', () => {
  test('each layer overrides the one below: defaults < tierbench.yaml < TIERBENCH_CONFIG < .env < environment', () => {
    write('configs/tierbench.yaml', 'target: { kind: emulator }\n')
    expect(loadRunConfig({ cwd, env: {} }).seed).toBe(1337)

    write('configs/tierbench.yaml', 'seed: 1\n')
    expect(loadRunConfig({ cwd, env: {} }).seed).toBe(1)

    write('extra.yaml', 'seed: 2\n')
    expect(loadRunConfig({ cwd, env: { TIERBENCH_CONFIG: 'extra.yaml' } }).seed).toBe(2)

    write('.env', 'TIERBENCH_SEED=3\n')
    expect(loadRunConfig({ cwd, env: { TIERBENCH_CONFIG: 'extra.yaml' } }).seed).toBe(3)

    expect(loadRunConfig({ cwd, env: { TIERBENCH_CONFIG: 'extra.yaml', TIERBENCH_SEED: '4' } }).seed).toBe(4)
  })

  test('the configFile option names the extra layer and wins over TIERBENCH_CONFIG', () => {
    write('a.yaml', 'seed: 10\n')
    write('b.yaml', 'seed: 20\n')
    expect(loadRunConfig({ cwd, env: { TIERBENCH_CONFIG: 'a.yaml' }, configFile: 'b.yaml' }).seed).toBe(20)
  })

  test('catalog files are overridden by tierbench.yaml field by field', () => {
    const base = loadRunConfig({ cwd, env: {} })
    expect(base.profile.phase_s).toBe(8)
    write('configs/tierbench.yaml', 'profiles:\n  smoke:\n    phase_s: 5\n')
    const c = loadRunConfig({ cwd, env: {} })
    expect(c.profile.phase_s).toBe(5)
    expect(c.profile.repetitions).toBe(base.profile.repetitions)
  })

  test('the run profile picks the emulator profile and time scale unless a higher layer sets them', () => {
    expect(loadRunConfig({ cwd, env: {} }).target).toMatchObject({ kind: 'emulator', profile: 'tiny', time_scale: 0.05 })
    const full = loadRunConfig({ cwd, env: { TIERBENCH_PROFILE: 'full' } })
    expect(full.target).toMatchObject({ profile: 'llama31-8b-fp8', time_scale: 1 })
    expect(full.model.id).toBe('llama31-8b-fp8')
    const pinned = loadRunConfig({ cwd, env: { TIERBENCH_PROFILE: 'full', TIERBENCH_EMULATOR_PROFILE: 'tiny' } })
    expect(pinned.target).toMatchObject({ profile: 'tiny', time_scale: 1 })
    expect(pinned.model.id).toBe('tiny')
  })

  test('.env is read without touching process.env', () => {
    write('.env', 'TIERBENCH_SEED=77\n')
    expect(loadRunConfig({ cwd, env: {} }).seed).toBe(77)
    expect(process.env.TIERBENCH_SEED).toBeUndefined()
  })

  test('an external target is assembled from targets/external.yaml and the environment', () => {
    const c = loadRunConfig({
      cwd,
      env: {
        TIERBENCH_TARGET: 'external',
        TIERBENCH_BASE_URL: 'http://127.0.0.1:8000',
        TIERBENCH_MODEL: 'm',
        TIERBENCH_DECLARED_MODE: 'B1',
        TIERBENCH_KVBM_METRICS_URL: 'http://127.0.0.1:6880/metrics',
      },
    })
    expect(c.target).toMatchObject({ kind: 'external', base_url: 'http://127.0.0.1:8000', model: 'm', declared_mode: 'B1', health_path: '/health' })
    expect(c.model.id).toBe('llama31-8b-fp8')
  })

  test('switching the kind from the environment drops lower-layer fields of the other kind with a warning', () => {
    write('configs/tierbench.yaml', 'target:\n  kind: external\n  base_url: http://127.0.0.1:8000\n  model: m\n  declared_mode: B2\n')
    const c = loadRunConfig({ cwd, env: { TIERBENCH_TARGET: 'emulator' } })
    expect(c.target.kind).toBe('emulator')
    expect(c.warnings.join('\n')).toContain('target.base_url ignored')
  })

  test('paths resolve against cwd and the results and scratch dirs have their defaults', () => {
    const c = loadRunConfig({ cwd, env: {} })
    expect(c.resultsDir).toBe(join(cwd, 'results'))
    expect(c.scratchDir).toBe(join(cwd, 'results/.scratch'))
    expect(loadRunConfig({ cwd, env: { TIERBENCH_RESULTS_DIR: '/tmp/r' } }).resultsDir).toBe('/tmp/r')
  })

  test('a misspelled TIERBENCH_ variable is a warning with the setting it was probably meant to be', () => {
    const c = loadRunConfig({ cwd, env: { TIERBENCH_PROFLE: 'full', TIERBENCH_WHATEVER_ELSE: '1', TIERBENCH_RUN_ID: 'x' } })
    expect(c.profile.name).toBe('smoke')
    expect(c.warnings).toContain('env TIERBENCH_PROFLE is not a tierbench setting and is ignored; did you mean TIERBENCH_PROFILE?')
    expect(c.warnings.join('\n')).toMatch(/TIERBENCH_WHATEVER_ELSE is not a tierbench setting and is ignored \(settings: docs\/configuration.md\)/)
    expect(c.warnings.join('\n')).not.toContain('TIERBENCH_RUN_ID')
  })

  test('scratch follows TIERBENCH_RESULTS_DIR unless set itself, so nothing lands in the checkout', () => {
    expect(loadRunConfig({ cwd, env: { TIERBENCH_RESULTS_DIR: '/tmp/r' } }).scratchDir).toBe('/tmp/r/.scratch')
    expect(loadRunConfig({ cwd, env: { TIERBENCH_RESULTS_DIR: '/tmp/r', TIERBENCH_SCRATCH_DIR: '/var/tmp/s' } }).scratchDir).toBe('/var/tmp/s')
  })
})

describe('errors', () => {
  test('one ConfigError lists every bad field with where it came from, what was expected and what was got', () => {
    write('configs/tierbench.yaml', 'profiles:\n  smoke:\n    phase_s: -1\ntelemetry:\n  cadence_ms: 5\n')
    const err = errorOf(() =>
      loadRunConfig({ cwd, env: { TIERBENCH_PROFILE: 'fast', TIERBENCH_SEED: 'abc', TIERBENCH_TARGET: 'external' } }),
    )
    const where = err.issues.map((i) => i.where)
    expect(where).toContain('configs/tierbench.yaml: profiles.smoke.phase_s')
    expect(where).toContain('configs/tierbench.yaml: telemetry.cadence_ms')
    expect(where).toContain('env TIERBENCH_PROFILE')
    expect(where).toContain('env TIERBENCH_SEED')
    expect(where).toContain('target.base_url')
    // declared_mode is optional: an external run without it assumes B0 (B0-only suites run).
    expect(where).not.toContain('target.declared_mode')
    expect(err.message).toContain('env TIERBENCH_PROFILE: Expected one of smoke|full, got "fast"')
    expect(err.message).toContain('env TIERBENCH_SEED: Expected a number, got "abc"')
    for (const line of err.message.split('\n').slice(1)) expect(line).toMatch(/Expected .+, got .+/)
  })

  test('unknown keys in YAML are errors that name the file and the key', () => {
    write('configs/tierbench.yaml', 'telemetry:\n  cadense_ms: 100\nresult_dir: out\n')
    const yamlText = readFileSync(join(cwd, 'configs/models/tiny.yaml'), 'utf8')
    write('configs/models/tiny.yaml', `${yamlText}kv_bytes_per_tok: 1\n`)
    const err = errorOf(() => loadRunConfig({ cwd, env: {} }))
    const where = err.issues.map((i) => i.where)
    expect(where).toContain('configs/tierbench.yaml: telemetry.cadense_ms')
    expect(where).toContain('configs/tierbench.yaml: result_dir')
    expect(where).toContain('configs/models/tiny.yaml: kv_bytes_per_tok')
  })

  test('references to unknown models, SLO presets and emulator profiles are reported together', () => {
    const err = errorOf(() =>
      loadRunConfig({ cwd, env: { TIERBENCH_EMULATOR_PROFILE: 'huge', TIERBENCH_MODEL_SPEC: 'nope', TIERBENCH_SLO: 'fast' } }),
    )
    expect(err.issues.map((i) => i.where).sort()).toEqual(['env TIERBENCH_EMULATOR_PROFILE', 'env TIERBENCH_MODEL_SPEC', 'env TIERBENCH_SLO'])
    expect(err.issues[0].expected).toContain('tiny')
  })

  test('a missing TIERBENCH_CONFIG file and a broken YAML file are both reported', () => {
    write('configs/tierbench.yaml', 'seed: [1\n')
    const err = errorOf(() => loadRunConfig({ cwd, env: { TIERBENCH_CONFIG: 'missing.yaml' } }))
    expect(err.issues.map((i) => i.where)).toEqual(['configs/tierbench.yaml', 'env TIERBENCH_CONFIG'])
  })

  test('a malformed kvsim fault spec is caught before kvsim starts', () => {
    const err = errorOf(() => loadRunConfig({ cwd, env: { TIERBENCH_EMULATOR_FAULTS: 'slow_disk:fast' } }))
    expect(err.issues).toHaveLength(1)
    expect(err.issues[0]).toMatchObject({ where: 'env TIERBENCH_EMULATOR_FAULTS', got: '"slow_disk:fast"' })
    expect(loadRunConfig({ cwd, env: { TIERBENCH_EMULATOR_FAULTS: 'slow_disk:5,corrupt_disk:0.01' } }).target).toMatchObject({ faults: 'slow_disk:5,corrupt_disk:0.01' })
  })

  test('the smoke profile may not exceed 60 s per suite', () => {
    write('configs/tierbench.yaml', 'profiles:\n  smoke:\n    suite_budget_s: 120\n')
    const err = errorOf(() => loadRunConfig({ cwd, env: {} }))
    expect(err.issues[0]).toMatchObject({ where: 'configs/tierbench.yaml: profiles.smoke.suite_budget_s', got: '120' })
  })
})
