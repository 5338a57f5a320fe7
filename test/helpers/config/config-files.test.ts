import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parse } from 'yaml'
import { describe, expect, test } from 'vitest'
import { Dataset, DATASET_DEFAULTS } from '../../../helpers/config/dataset'
import { loadRunConfig } from '../../../helpers/config/load-run-config'
import { ModelSpec } from '../../../helpers/config/model-spec'
import { PROFILES } from '../../../emulator/profiles'
import { RUN_PROFILE_DEFAULTS, RunProfile } from '../../../helpers/config/run-profile'
import { SloPreset } from '../../../helpers/config/slo-preset'
import { EmulatorTargetConfig, ExternalTargetConfig } from '../../../helpers/config/target-config'

const ROOT = resolve(__dirname, '../../..')
const CONFIGS = join(ROOT, 'configs')
const yamlFiles = (dir: string) => readdirSync(join(CONFIGS, dir)).filter((f) => f.endsWith('.yaml'))
const read = (dir: string, f: string): unknown => parse(readFileSync(join(CONFIGS, dir, f), 'utf8'))

describe('every file in configs/ loads', () => {
  test.each(yamlFiles('models'))('models/%s is a valid ModelSpec named after its file', (f) => {
    const spec = ModelSpec.parse(read('models', f))
    expect(spec.id).toBe(f.replace('.yaml', ''))
  })
  test.each(yamlFiles('slo'))('slo/%s is a valid SloPreset named after its file', (f) => {
    expect(SloPreset.parse(read('slo', f)).id).toBe(f.replace('.yaml', ''))
  })
  test.each(yamlFiles('profiles'))('profiles/%s matches the built-in profile defaults', (f) => {
    const p = RunProfile.parse(read('profiles', f))
    expect(p).toEqual(RUN_PROFILE_DEFAULTS[p.name])
  })
  test.each(yamlFiles('datasets'))('datasets/%s matches the built-in dataset defaults', (f) => {
    const d = Dataset.parse(read('datasets', f))
    expect(d).toEqual(DATASET_DEFAULTS[d.id])
  })
  test('targets/emulator.yaml and targets/external.yaml fit their target schemas', () => {
    expect(EmulatorTargetConfig.parse(read('targets', 'emulator.yaml')).kind).toBe('emulator')
    const ext = read('targets', 'external.yaml') as Record<string, unknown>
    expect(ExternalTargetConfig.parse({ ...ext, base_url: 'http://127.0.0.1:8000', model: 'm', declared_mode: 'B2' }).health_style).toBe('http-status')
  })
  test.each(yamlFiles('models'))('the repository config loads with model %s under both run profiles', (f) => {
    for (const profile of ['smoke', 'full'])
      for (const dataset of ['S', 'L']) {
        const c = loadRunConfig({ cwd: ROOT, env: { TIERBENCH_MODEL_SPEC: f.replace('.yaml', ''), TIERBENCH_PROFILE: profile, TIERBENCH_DATASET: dataset } })
        expect(c.model.id).toBe(f.replace('.yaml', ''))
        expect(c.slo.ttft_p99_ms).toBeGreaterThan(0)
        expect(c.dataset.id).toBe(dataset)
      }
  })
})

describe('SLO presets carry the MLPerf LLM limits', () => {
  test('llama3.1-8b and llama2-70b limits, server and interactive', () => {
    const c = loadRunConfig({ cwd: ROOT, env: {} })
    const limits = Object.fromEntries(Object.values(c.sloPresets).map((p) => [p.id, [p.ttft_p99_ms, p.tpot_p99_ms]]))
    expect(limits).toEqual({
      'mlperf-llama31-8b': [2000, 100],
      'mlperf-llama31-8b-interactive': [500, 30],
      'mlperf-llama2-70b': [2000, 200],
      'mlperf-llama2-70b-interactive': [450, 40],
    })
  })
})

describe('model specs agree with the kvsim profiles of the same name', () => {
  test.each(yamlFiles('models'))('models/%s', (f) => {
    const spec = ModelSpec.parse(read('models', f))
    const profile = PROFILES[spec.id]
    expect(profile, `kvsim profile ${spec.id}`).toBeDefined()
    expect({
      served_name: spec.served_name,
      tokenizer: spec.tokenizer,
      kv_bytes_per_token: spec.kv_bytes_per_token,
      tokens_per_block: spec.tokens_per_block,
      max_input_tokens: spec.max_input_tokens,
    }).toEqual({
      served_name: profile.servedModelName,
      tokenizer: profile.tokenizer,
      kv_bytes_per_token: profile.kvBytesPerToken,
      tokens_per_block: profile.tokensPerBlock,
      max_input_tokens: profile.maxInputTokens,
    })
  })
})
