// Prometheus text exposition format 0.0.4: HELP/TYPE, labels with `\\ \" \n` escapes,
// histograms and summaries grouped under their family, NaN/±Inf, optional timestamps, comments
// and duplicate families (concatenated scrapes). Bad lines are reported, never thrown.
export type PromType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped'

export interface PromSample {
  name: string
  labels: Record<string, string>
  value: number
  timestamp_ms: number | null
}

export interface PromFamily {
  name: string
  type: PromType
  help: string | null
  samples: PromSample[]
}

export interface PromParseResult {
  families: Map<string, PromFamily>
  /** Families declared (TYPE/HELP) more than once; their samples are merged. */
  duplicates: string[]
  errors: string[]
}

const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped'])

export const parsePromValue = (s: string): number | null => {
  switch (s) {
    case 'NaN':
      return Number.NaN
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY
    case '-Inf':
      return Number.NEGATIVE_INFINITY
  }
  if (s === '' || !/^[+-]?(\d|\.\d)/.test(s)) return null
  const v = Number(s)
  return Number.isNaN(v) ? null : v
}

const unescapeHelp = (s: string) => s.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'))

const isNameStart = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 58
const isNameChar = (c: number) => isNameStart(c) || (c >= 48 && c <= 57)

/** Parses one sample line; throws `Expected …` on malformed input (caught by the caller). */
export const parseSampleLine = (line: string): PromSample => {
  let i = 0
  const n = line.length
  while (i < n && (line[i] === ' ' || line[i] === '\t')) i++
  const start = i
  if (i >= n || !isNameStart(line.charCodeAt(i))) throw new Error(`Expected a metric name, got ${JSON.stringify(line.slice(0, 40))}`)
  while (i < n && isNameChar(line.charCodeAt(i))) i++
  const name = line.slice(start, i)
  const labels: Record<string, string> = {}
  while (i < n && (line[i] === ' ' || line[i] === '\t')) i++
  if (line[i] === '{') {
    i++
    for (;;) {
      while (i < n && (line[i] === ' ' || line[i] === ',')) i++
      if (line[i] === '}') {
        i++
        break
      }
      const ls = i
      if (i >= n || !isNameStart(line.charCodeAt(i))) throw new Error(`Expected a label name in ${name}, got ${JSON.stringify(line.slice(i, i + 20))}`)
      while (i < n && isNameChar(line.charCodeAt(i))) i++
      const lname = line.slice(ls, i)
      while (line[i] === ' ') i++
      if (line[i] !== '=') throw new Error(`Expected '=' after label ${lname} of ${name}, got ${JSON.stringify(line[i] ?? 'end of line')}`)
      i++
      while (line[i] === ' ') i++
      if (line[i] !== '"') throw new Error(`Expected '"' to open label ${lname} of ${name}, got ${JSON.stringify(line[i] ?? 'end of line')}`)
      i++
      let v = ''
      let closed = false
      // Copy runs between escapes in one slice: char-by-char concatenation dominated parse time.
      let run = i
      while (i < n) {
        const c = line.charCodeAt(i)
        if (c === 92) {
          const e = line[i + 1]
          v += line.slice(run, i) + (e === 'n' ? '\n' : e === '"' ? '"' : e === '\\' ? '\\' : `\\${e ?? ''}`)
          i += 2
          run = i
        } else if (c === 34) {
          v += line.slice(run, i)
          closed = true
          i++
          break
        } else i++
      }
      if (!closed) throw new Error(`Expected a closing '"' for label ${lname} of ${name}, got end of line`)
      if (lname in labels) throw new Error(`Expected label ${lname} once in ${name}, got it twice`)
      labels[lname] = v
    }
  }
  const rest = line.slice(i).trim().split(/[ \t]+/, 3)
  const value = parsePromValue(rest[0] ?? '')
  if (value === null) throw new Error(`Expected a numeric value for ${name}, got ${JSON.stringify(rest[0] ?? '')}`)
  let timestamp_ms: number | null = null
  if (rest.length > 1) {
    const ts = Number(rest[1])
    if (!Number.isFinite(ts) || rest.length > 2) throw new Error(`Expected an optional integer timestamp after ${name}, got ${JSON.stringify(rest.slice(1).join(' '))}`)
    timestamp_ms = ts
  }
  return { name, labels, value, timestamp_ms }
}

const familyOf = (sampleName: string, declared: Map<string, PromFamily>): string => {
  if (declared.has(sampleName)) return sampleName
  for (const suf of ['_bucket', '_sum', '_count', '_created', '_total']) {
    if (sampleName.endsWith(suf)) {
      const base = sampleName.slice(0, -suf.length)
      const f = declared.get(base)
      if (f && (f.type === 'histogram' || f.type === 'summary' || (suf === '_total' && f.type === 'counter'))) return base
    }
  }
  return sampleName
}

export const parsePrometheusText = (text: string): PromParseResult => {
  const families = new Map<string, PromFamily>()
  const duplicates = new Set<string>()
  const errors: string[] = []
  const declaredOnce = new Set<string>()
  let lastFamily: string | null = null
  const ensure = (name: string) => {
    let f = families.get(name)
    if (!f) families.set(name, (f = { name, type: 'untyped', help: null, samples: [] }))
    return f
  }
  const lines = text.split('\n')
  for (let ln = 0; ln < lines.length; ln++) {
    const line = lines[ln].replace(/\r$/, '')
    const trimmed = line.trim()
    if (trimmed === '') continue
    if (trimmed.startsWith('#')) {
      const m = /^#\s*(HELP|TYPE)\s+(\S+)(?:\s+(.*))?$/.exec(trimmed)
      if (!m) continue // plain comment
      const [, kind, name, arg = ''] = m
      const f = ensure(name)
      // A family declared again after other families means two scrapes were concatenated.
      if (declaredOnce.has(`${kind}:${name}`) || (f.samples.length > 0 && lastFamily !== name)) duplicates.add(name)
      declaredOnce.add(`${kind}:${name}`)
      if (kind === 'HELP') f.help = unescapeHelp(arg)
      else if (TYPES.has(arg.trim())) f.type = arg.trim() as PromType
      else errors.push(`line ${ln + 1}: Expected a TYPE of counter|gauge|histogram|summary|untyped for ${name}, got ${JSON.stringify(arg)}`)
      lastFamily = name
      continue
    }
    try {
      const s = parseSampleLine(line)
      const fam = familyOf(s.name, families)
      ensure(fam).samples.push(s)
      lastFamily = fam
    } catch (e) {
      errors.push(`line ${ln + 1}: ${(e as Error).message}`)
    }
  }
  return { families, duplicates: [...duplicates], errors }
}

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')

/** Canonical series key: name{a="x",b="y"} with sorted label names; bare name without labels. */
export const seriesKey = (name: string, labels: Record<string, string>): string => {
  const ks = Object.keys(labels).sort()
  return ks.length === 0 ? name : `${name}{${ks.map((k) => `${k}="${escapeLabel(labels[k])}"`).join(',')}}`
}

/** Flattens every sample to seriesKey → value (the last value wins for repeated series). */
export const flattenFamilies = (families: Map<string, PromFamily>): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const f of families.values()) for (const s of f.samples) out[seriesKey(s.name, s.labels)] = s.value
  return out
}
