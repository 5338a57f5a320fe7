import type { BackendName } from '../backends/tiering-backend'

// Which Dynamo command line an image needs, read from the versions installed in it. The flags
// moved between the 0.8-era runbook image and current 1.x builds (facts and sources:
// ../shared/reference/dynamo-kvbm.md §8; the argument groups were read in ai-dynamo/dynamo source,
// components/src/dynamo/{frontend/frontend_args.py, common/configuration/groups/runtime_args.py,
// trtllm/backend_args.py}): `--store-kv` became `--discovery-backend` with no alias (PR #6167),
// the workers' `--model-path` became `--model` (TRT-LLM keeps the old name as an obsolete alias;
// SGLang's own flag is still `--model-path`), and `--exp-python-factory` is gone.

/** The Python packages whose versions decide the command line and the backends an image has. */
export const DYNAMO_IMAGE_PACKAGES = ['ai-dynamo', 'tensorrt-llm', 'vllm', 'sglang', 'kvbm', 'lmcache'] as const

export interface DynamoImageVersions {
  dynamo: string | null
  tensorrtLlm: string | null
  vllm: string | null
  sglang: string | null
  kvbm: string | null
  lmcache: string | null
}

export const NO_VERSIONS: DynamoImageVersions = { dynamo: null, tensorrtLlm: null, vllm: null, sglang: null, kvbm: null, lmcache: null }

/** `pip show`'s names (normalised to lower-case, `-`) → versions. */
export const imageVersionsFromPip = (pip: Record<string, string>): DynamoImageVersions => ({
  dynamo: pip['ai-dynamo'] ?? null,
  tensorrtLlm: pip['tensorrt-llm'] ?? null,
  vllm: pip.vllm ?? null,
  sglang: pip.sglang ?? null,
  kvbm: pip.kvbm ?? null,
  lmcache: pip.lmcache ?? null,
})

/** `1.6.2`, `v1.0`, `1.3.0rc29`, `0.8.0.dev1` → [major, minor, patch]; null when it does not start with a number. */
export const parseVersion = (v: string | null | undefined): [number, number, number] | null => {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec((v ?? '').trim())
  if (!m) return null
  return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)]
}

export const compareVersions = (a: [number, number, number], b: [number, number, number]): number =>
  a[0] - b[0] || a[1] - b[1] || a[2] - b[2]

/** First Dynamo release with `--discovery-backend` (the rename landed before 1.0.0). */
export const DISCOVERY_BACKEND_SINCE: [number, number, number] = [1, 0, 0]

export type DynamoCliGeneration = 'store-kv' | 'discovery-backend'

export interface DynamoCli {
  generation: DynamoCliGeneration
  /** The Dynamo version the choice was made from (null: unknown). */
  dynamoVersion: string | null
  /** Where the version came from: read inside the image, pinned in the config, or unknown. */
  source: 'image' | 'config' | 'unknown'
  /** Set when the version was unknown and the newest command line was assumed. */
  warning: string | null
}

/** The command-line generation for a Dynamo version; an unknown version gets the newest one and a warning. */
export const dynamoCliFor = (version: string | null, source: DynamoCli['source']): DynamoCli => {
  const parsed = parseVersion(version)
  if (!parsed)
    return {
      generation: 'discovery-backend',
      dynamoVersion: version,
      source: version === null ? 'unknown' : source,
      warning: `DYNAMO_VERSION_UNKNOWN: Expected an ai-dynamo version ${source === 'config' ? 'in dynamo_version' : source === 'image' ? 'inside the image' : 'from the image (pip show) or dynamo_version'}, got ${version === null ? 'none' : JSON.stringify(version)}; using the newest command line (--discovery-backend, --model). Pin dynamo_version in the target config if the image is older than 1.0.`,
    }
  return {
    generation: compareVersions(parsed, DISCOVERY_BACKEND_SINCE) >= 0 ? 'discovery-backend' : 'store-kv',
    dynamoVersion: version,
    source,
    warning: null,
  }
}

/** The tiering backends an image can run for an engine, from what is installed in it. */
export const imageBackends = (v: DynamoImageVersions, engine: 'trtllm' | 'vllm' | 'sglang'): BackendName[] => {
  const out: BackendName[] = []
  if (engine === 'trtllm' && v.tensorrtLlm) out.push('trtllm-native')
  if (engine === 'vllm' && v.vllm) out.push('vllm-offload')
  if (engine === 'vllm' && v.vllm && v.lmcache) out.push('lmcache')
  if (engine === 'sglang' && v.sglang) out.push('sglang-hicache')
  if (v.kvbm && engine !== 'sglang') out.push('kvbm')
  return out
}
