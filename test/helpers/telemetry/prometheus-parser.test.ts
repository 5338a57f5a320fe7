import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { flattenFamilies, parsePrometheusText, parsePromValue, seriesKey } from '../../../helpers/telemetry/prometheus-parser'

const FIXTURE = '/work/shared/fixtures/real/dynamo/frontend-metrics.prom'
const text = readFileSync(FIXTURE, 'utf8')

describe('Prometheus parser on the real Dynamo frontend fixture', () => {
  const r = parsePrometheusText(text)

  it('parses every line without errors and finds every declared family with its type', () => {
    expect(r.errors).toEqual([])
    const declared = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]])
    expect(declared.length).toBeGreaterThan(10)
    for (const [name, type] of declared) expect(r.families.get(name)?.type, name).toBe(type)
    expect(r.families.size).toBe(declared.length)
  })

  it('groups histogram buckets, _sum and _count under their family', () => {
    const f = r.families.get('dynamo_frontend_time_to_first_token_seconds')!
    const names = new Set(f.samples.map((s) => s.name))
    expect(names).toEqual(new Set(['dynamo_frontend_time_to_first_token_seconds_bucket', 'dynamo_frontend_time_to_first_token_seconds_sum', 'dynamo_frontend_time_to_first_token_seconds_count']))
    const inf = f.samples.find((s) => s.labels.le === '+Inf')!
    const count = f.samples.find((s) => s.name.endsWith('_count'))!
    expect(inf.value).toBe(count.value)
  })

  it('keeps the lower-cased histogram model label and the original case on model_* gauges', () => {
    expect(r.families.get('dynamo_frontend_inflight_requests')!.samples[0].labels.model).toBe('qwen/qwen3-0.6b')
    expect(r.families.get('dynamo_frontend_model_context_length')!.samples[0].labels.model).toBe('Qwen/Qwen3-0.6B')
  })

  it('keeps every label of a labelled counter instead of summing them away', () => {
    const s = r.families.get('dynamo_frontend_requests_total')!.samples
    expect(s.every((x) => 'status' in x.labels && 'request_type' in x.labels)).toBe(true)
    const sample = s[0]
    expect(seriesKey(sample.name, sample.labels)).toMatch(/^dynamo_frontend_requests_total\{endpoint="[^"]+",model=.*status="[a-z]+"\}$/)
  })
})

describe('Prometheus parser on hostile inputs', () => {
  it('unescapes \\\\, \\" and \\n in label values and escapes them back in series keys', () => {
    const r = parsePrometheusText('m{a="x\\\\y",b="say \\"hi\\"",c="l1\\nl2",d="{}=,"} 1\n')
    expect(r.errors).toEqual([])
    const s = r.families.get('m')!.samples[0]
    expect(s.labels).toEqual({ a: 'x\\y', b: 'say "hi"', c: 'l1\nl2', d: '{}=,' })
    expect(seriesKey(s.name, s.labels)).toBe('m{a="x\\\\y",b="say \\"hi\\"",c="l1\\nl2",d="{}=,"}')
  })

  it('reads NaN, +Inf, -Inf, exponents and timestamps', () => {
    const r = parsePrometheusText('a NaN\nb +Inf\nc -Inf 1700000000000\nd 1.5e3\ne -0.25 17\n')
    const v = (n: string) => r.families.get(n)!.samples[0]
    expect(Number.isNaN(v('a').value)).toBe(true)
    expect(v('b').value).toBe(Number.POSITIVE_INFINITY)
    expect(v('c').value).toBe(Number.NEGATIVE_INFINITY)
    expect(v('c').timestamp_ms).toBe(1700000000000)
    expect(v('d').value).toBe(1500)
    expect(v('e').timestamp_ms).toBe(17)
    expect(r.errors).toEqual([])
  })

  it('reports malformed lines by line number and keeps parsing the rest', () => {
    const r = parsePrometheusText(['ok 1', 'bad{a="x} 2', 'noval', 'x{a=b} 1', '9starts_with_digit 1', 'v{a="1",a="2"} 3', 'empty ', 'w 1 2 3', 'fine 2'].join('\n'))
    expect(r.families.get('ok')!.samples[0].value).toBe(1)
    expect(r.families.get('fine')!.samples[0].value).toBe(2)
    expect(r.errors.length).toBe(7)
    expect(r.errors[0]).toMatch(/^line 2: Expected/)
  })

  it('skips comments, blank lines and CRLF endings, and reports an unknown TYPE', () => {
    const r = parsePrometheusText('# just a comment\r\n\r\n# HELP h Help with \\\\ and \\n\r\n# TYPE h gauge\r\nh 3\r\n# TYPE q flavour\r\nq 1\r\n')
    expect(r.families.get('h')).toMatchObject({ type: 'gauge', help: 'Help with \\ and \n' })
    expect(r.families.get('h')!.samples[0].value).toBe(3)
    expect(r.errors).toHaveLength(1)
    expect(r.errors[0]).toMatch(/TYPE .* for q, got "flavour"/)
  })

  it('merges duplicate families from concatenated scrapes and names them', () => {
    const one = '# TYPE kvbm_matched_tokens counter\nkvbm_matched_tokens 5\n# TYPE other gauge\nother 1\n'
    const r = parsePrometheusText(one + one.replace('5', '9'))
    expect(r.duplicates).toContain('kvbm_matched_tokens')
    expect(r.families.get('kvbm_matched_tokens')!.samples.map((s) => s.value)).toEqual([5, 9])
    expect(flattenFamilies(r.families).kvbm_matched_tokens).toBe(9)
  })

  it('groups summary quantiles and counters declared without _total', () => {
    const r = parsePrometheusText('# TYPE rpc summary\nrpc{quantile="0.5"} 1\nrpc_sum 10\nrpc_count 4\n# TYPE c counter\nc_total 3\n')
    expect(r.families.get('rpc')!.samples).toHaveLength(3)
    expect(r.families.get('c')!.samples[0].name).toBe('c_total')
  })

  it('does not read empty, "Infinity" or word values as numbers', () => {
    expect(parsePromValue('')).toBeNull()
    expect(parsePromValue('Infinity')).toBeNull()
    expect(parsePromValue('abc')).toBeNull()
    expect(parsePromValue('0x1')).toBe(1)
  })

  it('survives a large random-garbage input without throwing', () => {
    let junk = ''
    const chars = 'ab_{}"=\\,\n #01.+-eINaf'
    let seed = 7
    for (let i = 0; i < 200_000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      junk += chars[seed % chars.length]
    }
    const r = parsePrometheusText(junk)
    expect(r.errors.length).toBeGreaterThan(0)
  })
})
