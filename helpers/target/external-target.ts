import type { KvMode, KvModeId } from '../config/kv-mode'
import { describeNotReady, listModels, waitReady } from './readiness'
import type { HealthStyle, ReadinessReport, Target, TargetInfo } from './target'
import type { TieringBackend } from '../backends/tiering-backend'
import { pidsMatching } from './process-pattern'
import { readServerContextLimit } from './server-context-limit'
import { ModeNotApplicableError } from './mode-not-applicable'
import { verifyMode } from './verify-mode'

// Any OpenAI-compatible server (Dynamo, vLLM, SGLang, TRT-LLM serve, llama.cpp). tierbench does not
// control it: the mode is declared by the user and checked against KVBM metrics where a URL is given.

export interface ExternalTargetOptions {
  baseUrl: string
  /** Served model name; when absent the first /v1/models entry is used. */
  model?: string
  declaredMode: KvModeId
  /** false: the user gave no mode and B0 is assumed (B0-only suites run; others are not applicable). @default true */
  modeDeclared?: boolean
  /** Regular expression matched against /proc/<pid>/cmdline to find the serving processes. */
  processPattern?: string
  healthStyle: HealthStyle
  kvbmMetricsUrl?: string | null
  frontendMetricsUrl?: string | null
  maxInputTokens?: number | null
  /** Serving processes on this host, for IO attribution (optional). */
  pids?: number[]
  cacheDir?: string | null
  /** The tiering backend the server runs (verification of the declared mode). @default KVBM */
  backend?: TieringBackend
}

export const createExternalTarget = (opts: ExternalTargetOptions): Target => {
  const baseUrl = opts.baseUrl.replace(/\/+$/, '')
  let info: TargetInfo | null = null

  const attach = async (): Promise<TargetInfo> => {
    const models = await listModels(baseUrl)
    const model = opts.model ?? models[0]
    if (!model) throw new Error(`Expected ${baseUrl}/v1/models to list a model (or TIERBENCH_MODEL to be set), got none`)
    const limit = opts.maxInputTokens ? null : await readServerContextLimit(baseUrl, model)
    const matched = opts.processPattern ? pidsMatching(opts.processPattern) : []
    const declared = opts.modeDeclared !== false
    info = {
      kind: 'external',
      baseUrl,
      model,
      frontendMetricsUrl: opts.frontendMetricsUrl ?? null,
      kvbmMetricsUrl: opts.kvbmMetricsUrl ?? null,
      emulated: false,
      mode: opts.declaredMode,
      modeVerified: false,
      modeEvidence: [declared ? `mode ${opts.declaredMode} declared by the user` : `no mode declared (TIERBENCH_DECLARED_MODE unset): ${opts.declaredMode} assumed`],
      pids: [...new Set([...(opts.pids ?? []), ...matched])],
      cacheDir: opts.cacheDir ?? null,
      maxInputTokens: opts.maxInputTokens ?? limit?.tokens ?? null,
      provenance: {
        served_models: models,
        max_input_tokens_source: opts.maxInputTokens ? 'config' : (limit?.source ?? null),
        process_pattern: opts.processPattern ?? null,
        process_pattern_pids: matched,
      },
      healthStyle: opts.healthStyle,
      logFiles: [],
    }
    return info
  }

  const target: Target = {
    kind: 'external',
    start: attach,
    async applyMode(mode: KvMode) {
      // We cannot restart someone else's server: a suite that needs another mode than the declared
      // one must fail loudly rather than measure the wrong configuration.
      // A phase in another mode is not applicable on this target: not a failure of the stack.
      if (mode.id !== opts.declaredMode) throw new ModeNotApplicableError(mode.id, opts.declaredMode, 'external')
      const current = info ?? (await attach())
      const readiness = await target.ready()
      if (!readiness.ready) throw new Error(`Expected ${baseUrl} to be ready, got ${describeNotReady(readiness)}`)
      if (current.kvbmMetricsUrl || current.cacheDir) {
        const v = await verifyMode({ mode: mode.id, kvbmMetricsUrl: current.kvbmMetricsUrl, pids: current.pids, cacheDir: current.cacheDir, backend: opts.backend })
        info = { ...current, modeVerified: v.verified, modeEvidence: [...current.modeEvidence, ...v.evidence] }
      }
      return info!
    },
    async ready(o = {}): Promise<ReadinessReport> {
      return waitReady({ baseUrl, model: info?.model ?? opts.model, healthStyle: opts.healthStyle, timeoutMs: o.timeoutMs ?? 30_000 })
    },
    info() {
      if (!info) throw new Error('Expected the external target to be attached, got info() before start()')
      return info
    },
    async stop() {
      info = null
    },
  }
  return target
}
