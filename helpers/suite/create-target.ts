import { join } from 'node:path'
import { createDynamoTarget } from '../target/dynamo'
import { parseDynamoConfig } from '../target/dynamo-config'
import { createEmulatorTarget } from '../target/emulator-target'
import { createExternalTarget } from '../target/external-target'
import { createLlamacppTarget } from '../target/llamacpp-target'
import { createStandaloneTarget } from '../target/standalone'
import type { Target } from '../target/target'
import type { SuiteSettings } from './suite-settings'

/** kvsim divides G3 block bytes by this; it follows time_scale so IO shrinks with compute. */
export const emulatorIoScale = (t: { io_scale: number; time_scale: number }): number => Math.max(1, Math.round(1 / Math.min(t.io_scale, t.time_scale)))

/** What the disk tier really occupies per planned byte on this target (kvsim writes scaled-down blocks). */
export const diskBytesDivisor = (s: SuiteSettings, realBlockIo = false): number =>
  s.config.target.kind === 'emulator' && !realBlockIo ? emulatorIoScale(s.config.target) : 1

// One switch from configuration to a driver; every driver passes the same conformance test.
export const createTargetFromSettings = (s: SuiteSettings, dirs: { scratchDir: string; logsDir: string }, needs: { lora?: boolean } = {}): Target => {
  const t = s.config.target
  switch (t.kind) {
    case 'emulator':
      return createEmulatorTarget({
        profile: t.profile,
        faults: t.faults || undefined,
        timeScale: t.time_scale,
        // kvsim divides block bytes by --io-scale; follow time_scale so IO shrinks with compute.
        ioScale: emulatorIoScale(t),
        scratchDir: dirs.scratchDir,
        logsDir: dirs.logsDir,
        env: {
          ...(t.tiers.o_direct === false ? { DYN_KVBM_DISK_DISABLE_O_DIRECT: 'true' } : {}),
          // Adapter files (GBs at full scale) only for suites that use LoRA, laid out before the
          // first request so a cold load measures a read, not a write; others write none.
          ...(needs.lora ? { KVSIM_LORA_COUNT: '64' } : {}),
        },
        backend: t.backend,
        g1Blocks: t.tiers.g1_blocks,
      })
    case 'external':
      return createExternalTarget({
        baseUrl: t.base_url,
        model: t.model,
        declaredMode: t.declared_mode ?? 'B0',
        modeDeclared: t.declared_mode !== undefined,
        processPattern: t.process_pattern,
        healthStyle: t.health_style,
        kvbmMetricsUrl: t.kvbm_metrics_url ?? null,
        frontendMetricsUrl: t.frontend_metrics_url ?? null,
        maxInputTokens: t.max_input_tokens ?? null,
        pids: t.pids,
        cacheDir: t.cache_dir ?? null,
        backend: s.tierBackend,
      })
    case 'llamacpp':
      return createLlamacppTarget({
        binary: t.binary,
        modelPath: t.model_path,
        alias: t.alias,
        ctxSize: t.ctx_size,
        parallel: t.parallel,
        threads: t.threads,
        cacheRamMib: t.cache_ram_mib,
        extraArgs: t.extra_args,
        logsDir: dirs.logsDir,
      })
    case 'vllm':
    case 'sglang':
      return createStandaloneTarget({
        engine: t.kind,
        runtime: t.runtime,
        ...(t.kind === 'vllm' ? { vllmBin: t.binary } : { python: t.python }),
        model: t.model,
        servedModelName: t.served_model_name,
        port: t.port || undefined,
        // KVBM serves its counters on its own port (DYN_KVBM_METRICS_PORT); the others on the engine's /metrics.
        metricsPort: t.metrics_port ?? (t.backend === 'kvbm' ? 0 : undefined),
        image: t.image,
        mounts: t.mounts,
        extraArgs: t.extra_args,
        cacheRoot: t.cache_dir,
        backend: s.tierBackend,
        scratchDir: dirs.scratchDir,
        logsDir: dirs.logsDir,
        maxInputTokens: t.max_input_tokens ?? null,
        readyTimeoutMs: t.ready_timeout_s * 1000,
        stopGraceMs: t.stop_grace_s * 1000,
      })
    case 'dynamo':
      return createDynamoTarget(parseDynamoConfig(t.dynamo), { logsDir: dirs.logsDir, scratch: join(dirs.scratchDir, 'dynamo') })
  }
}
