// Deep merge of config layers that remembers which layer set each leaf, so a validation error can
// name the file or env var to fix rather than just a path in the merged object.

export type Plain = Record<string, unknown>

export const isPlain = (v: unknown): v is Plain =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype

export interface LayerSource {
  /** `configs/tierbench.yaml`, `defaults`, or `env TIERBENCH_SEED`. */
  label: string
  /** File sources are reported as `<label>: <path>`; env vars stand alone. */
  withPath: boolean
  /** Leading part of the merged path that the file does not spell (catalog files: `models.tiny.`). */
  stripPrefix?: string
}

export interface ConfigLayer {
  data: Plain
  /** One source for the whole layer, or one per leaf path (env vars). */
  source: LayerSource | ((path: string) => LayerSource)
}

export interface MergedConfig {
  value: Plain
  /** dotted leaf path -> layer that set it last */
  provenance: Map<string, LayerSource>
}

const mergeInto = (target: Plain, data: Plain, prefix: string, layer: ConfigLayer, prov: Map<string, LayerSource>) => {
  for (const [key, v] of Object.entries(data)) {
    const path = prefix ? `${prefix}.${key}` : key
    if (isPlain(v)) {
      if (!isPlain(target[key])) {
        target[key] = {}
        for (const p of [...prov.keys()]) if (p === path || p.startsWith(`${path}.`)) prov.delete(p)
      }
      if (Object.keys(v).length === 0) prov.set(path, typeof layer.source === 'function' ? layer.source(path) : layer.source)
      mergeInto(target[key] as Plain, v, path, layer, prov)
    } else {
      target[key] = v
      for (const p of [...prov.keys()]) if (p.startsWith(`${path}.`)) prov.delete(p)
      prov.set(path, typeof layer.source === 'function' ? layer.source(path) : layer.source)
    }
  }
}

export const mergeLayers = (layers: readonly ConfigLayer[]): MergedConfig => {
  const value: Plain = {}
  const provenance = new Map<string, LayerSource>()
  for (const layer of layers) mergeInto(value, structuredClone(layer.data), '', layer, provenance)
  return { value, provenance }
}

/** The layer that set a path: the path itself, else its nearest ancestor, else any leaf below it. */
export const sourceOf = (merged: MergedConfig, path: string): LayerSource | undefined => {
  let p = path
  while (p) {
    const hit = merged.provenance.get(p)
    if (hit) return hit
    const cut = p.lastIndexOf('.')
    p = cut < 0 ? '' : p.slice(0, cut)
  }
  for (const [leaf, src] of merged.provenance) if (leaf.startsWith(`${path}.`)) return src
  return undefined
}

/** Sets a dotted path in a plain object, creating parents. */
export const setPath = (obj: Plain, path: string, value: unknown): Plain => {
  const keys = path.split('.')
  let cur = obj
  for (const k of keys.slice(0, -1)) {
    if (!isPlain(cur[k])) cur[k] = {}
    cur = cur[k] as Plain
  }
  cur[keys[keys.length - 1]] = value
  return obj
}

export const getPath = (obj: unknown, path: readonly PropertyKey[]): unknown => {
  let cur = obj
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return undefined
    cur = (cur as Record<PropertyKey, unknown>)[k]
  }
  return cur
}
