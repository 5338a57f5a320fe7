import type { BackendLaunchConfig, BackendSidecar } from '../backends/tiering-backend'
import { vllmLaunchArgs } from '../backends/vllm-offload'

// Command lines of a standalone inference server (no Dynamo) for one mode: `vllm serve` or
// `python -m sglang.launch_server`, on the host or in docker. Pure functions of the backend's
// launch config, so every mode's command line is pinned by unit tests and printed in provenance.

export type StandaloneEngine = 'vllm' | 'sglang'

export interface StandaloneCommandOptions {
  engine: StandaloneEngine
  /** Model path or Hugging Face id passed to the server. */
  model: string
  /** Name the server answers to in /v1/models (vLLM --served-model-name; SGLang --served-model-name). */
  servedModelName?: string
  port: number
  /** `host`: the engine's CLI on this machine; `docker`: `docker run` of `image` with host networking. */
  runtime: 'host' | 'docker'
  /** Python interpreter for SGLang on the host. @default 'python3' */
  python?: string
  /** vLLM CLI on the host. @default 'vllm' */
  vllmBin?: string
  /** Container image (docker runtime). */
  image?: string
  /** Container name (docker runtime): stop and rm use it, never a pattern. */
  containerName?: string
  /** Directories the container must see at the same path (the disk-tier cache dir, the model, scratch). */
  mounts?: string[]
  /** Extra server flags the user configured, appended last. */
  extraArgs?: string[]
}

export interface StandaloneCommand {
  argv: string[]
  /** Env overrides for the host process; undefined = must be unset. For docker, passed with -e. */
  env: Record<string, string | undefined>
}

/** The server's own argv (without docker). */
export const serverArgv = (o: StandaloneCommandOptions, cfg: BackendLaunchConfig): string[] => {
  const served = o.servedModelName ? ['--served-model-name', o.servedModelName] : []
  if (o.engine === 'vllm')
    return [o.vllmBin ?? 'vllm', 'serve', o.model, '--host', '127.0.0.1', '--port', String(o.port), ...served, ...vllmLaunchArgs(cfg), ...(o.extraArgs ?? [])]
  if (cfg.kvTransferConfig) throw new Error(`Expected no --kv-transfer-config for SGLang (its tiers are flags), got ${JSON.stringify(cfg.kvTransferConfig)}`)
  return [o.python ?? 'python3', '-m', 'sglang.launch_server', '--model-path', o.model, '--host', '127.0.0.1', '--port', String(o.port), ...served, ...cfg.args, ...(o.extraArgs ?? [])]
}

/** The full command: the server argv on the host, or `docker run` around it. */
export const standaloneCommand = (o: StandaloneCommandOptions, cfg: BackendLaunchConfig): StandaloneCommand => {
  const argv = serverArgv(o, cfg)
  if (o.runtime === 'host') return { argv, env: { ...cfg.env } }
  if (!o.image) throw new Error('Expected an image for the docker runtime (standalone.image), got none')
  if (!o.containerName) throw new Error('Expected a container name for the docker runtime, got none')
  const envFlags = Object.entries(cfg.env)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([k, v]) => ['-e', `${k}=${v}`])
  const mounts = [...new Set(o.mounts ?? [])].flatMap((d) => ['-v', `${d}:${d}`])
  return {
    argv: ['docker', 'run', '--rm', '--init', '--name', o.containerName, '--gpus', 'all', '--network', 'host', '--ipc', 'host', ...mounts, ...envFlags, o.image, ...argv],
    env: {},
  }
}

/** A sidecar's command (LMCache MP server), on the host or in the same image. */
export const sidecarCommand = (o: Pick<StandaloneCommandOptions, 'runtime' | 'image' | 'mounts'>, s: BackendSidecar, containerName: string): StandaloneCommand => {
  if (o.runtime === 'host') return { argv: [...s.command], env: { ...s.env } }
  if (!o.image) throw new Error('Expected an image for the docker runtime (standalone.image), got none')
  const mounts = [...new Set(o.mounts ?? [])].flatMap((d) => ['-v', `${d}:${d}`])
  return { argv: ['docker', 'run', '--rm', '--init', '--name', containerName, '--network', 'host', '--ipc', 'host', ...mounts, o.image, ...s.command], env: {} }
}

/** Removes a container by its exact name (stop path of the docker runtime). */
export const dockerRemoveArgv = (containerName: string): string[] => ['docker', 'rm', '-f', containerName]
