import { z } from 'zod'
import { ClientConfig } from './client-config'
import { Dataset, DatasetId } from './dataset'
import type { KvMode, KvModeId } from './kv-mode'
import { KvModeDefaults } from './kv-mode-defaults'
import { ModelSpec } from './model-spec'
import { RunProfile, RunProfileName } from './run-profile'
import { SloPreset } from './slo-preset'
import { TargetConfig } from './target-config'
import { TelemetryConfig } from './telemetry-config'
import { TraceConfig } from './trace-config'

/** Fallback model spec for non-emulator targets when `model` is not set. */
export const DEFAULT_MODEL_ID = 'llama31-8b-fp8'

/**
 * Everything the layers (defaults, configs/*.yaml, .env, environment) merge into, validated once.
 * Cross-references (model, slo, emulator profile) are checked here so every problem is in one error.
 */
export const RunConfigInput = z
  .strictObject({
    target: TargetConfig,
    /** Model spec id (configs/models/<id>.yaml); default: the emulator profile, else llama31-8b-fp8. */
    model: z.string().min(1).optional(),
    profile: RunProfileName.default('smoke'),
    /** SLO preset id (configs/slo/<id>.yaml); default: the model's `slo`. */
    slo: z.string().min(1).optional(),
    dataset: DatasetId.default('S'),
    seed: z.int().nonnegative().default(1337),
    results_dir: z.string().min(1).default('results'),
    // Unset: <results_dir>/.scratch, so scratch follows TIERBENCH_RESULTS_DIR off the checkout.
    scratch_dir: z.string().min(1).optional(),
    telemetry: TelemetryConfig.default({ cadence_ms: 200 }),
    client: ClientConfig.default(() => ClientConfig.parse({})),
    kv_modes: KvModeDefaults.default({}),
    /** The trace-replay suite's trace and schedule (env TIERBENCH_TRACE sets trace.path). */
    trace: TraceConfig.default(() => TraceConfig.parse({})),
    profiles: z.strictObject({ smoke: RunProfile, full: RunProfile }),
    datasets: z.strictObject({ S: Dataset, L: Dataset }),
    models: z.record(z.string(), ModelSpec),
    slo_presets: z.record(z.string(), SloPreset),
  })
  .superRefine((c, ctx) => {
    const oneOf = (keys: string[]) => `one of ${keys.join('|')}`
    const modelIds = Object.keys(c.models)
    for (const [key, spec] of Object.entries(c.models))
      if (spec.id !== key) ctx.addIssue({ code: 'custom', path: ['models', key, 'id'], message: `"${key}" (the file name)`, input: spec.id })
    for (const [key, slo] of Object.entries(c.slo_presets))
      if (slo.id !== key) ctx.addIssue({ code: 'custom', path: ['slo_presets', key, 'id'], message: `"${key}" (the file name)`, input: slo.id })
    if (c.target.kind === 'emulator' && !c.models[c.target.profile])
      ctx.addIssue({ code: 'custom', path: ['target', 'profile'], message: oneOf(modelIds), input: c.target.profile })
    const modelId = c.model ?? (c.target.kind === 'emulator' ? c.target.profile : DEFAULT_MODEL_ID)
    const model = c.models[modelId]
    if (!model) ctx.addIssue({ code: 'custom', path: ['model'], message: oneOf(modelIds), input: modelId })
    const sloId = c.slo ?? model?.slo
    if (sloId !== undefined && !c.slo_presets[sloId])
      ctx.addIssue({ code: 'custom', path: c.slo ? ['slo'] : ['models', modelId, 'slo'], message: oneOf(Object.keys(c.slo_presets)), input: sloId })
    for (const key of ['smoke', 'full'] as const)
      if (c.profiles[key].name !== key)
        ctx.addIssue({ code: 'custom', path: ['profiles', key, 'name'], message: `"${key}"`, input: c.profiles[key].name })
    for (const key of ['S', 'L'] as const)
      if (c.datasets[key].id !== key)
        ctx.addIssue({ code: 'custom', path: ['datasets', key, 'id'], message: `"${key}"`, input: c.datasets[key].id })
  })
export type RunConfigInput = z.infer<typeof RunConfigInput>

/** The resolved configuration a run uses: selections made, paths absolute, every mode sized. */
export interface RunConfig {
  target: TargetConfig
  model: ModelSpec
  profile: RunProfile
  slo: SloPreset
  dataset: Dataset
  datasets: Record<DatasetId, Dataset>
  kvModes: Record<KvModeId, KvMode>
  models: Record<string, ModelSpec>
  sloPresets: Record<string, SloPreset>
  seed: number
  /** Absolute paths. */
  resultsDir: string
  scratchDir: string
  telemetry: TelemetryConfig
  client: ClientConfig
  /** Trace-replay settings; `path` absolute when given. */
  trace: TraceConfig
  /** Layers that contributed, lowest first (`defaults`, `configs/tierbench.yaml`, `.env`, `env`). */
  sources: string[]
  /** Settings that were given but do not apply (e.g. TIERBENCH_BASE_URL with the emulator target). */
  warnings: string[]
}
