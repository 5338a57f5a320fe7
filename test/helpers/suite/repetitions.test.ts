import { describe, expect, test } from 'vitest'
import { evaluateGate } from '../../../helpers/gates/evaluate-gate'
import { expandRepetitions, inheritRepetition, managesOwnRepetitions, repeatabilityChecks, repetitionGroup } from '../../../helpers/suite/repetitions'

import type { RepeatablePlan } from '../../../helpers/suite/repetitions'

const plan = (name: string, kind = 'measure', extra: Partial<RepeatablePlan> = {}): RepeatablePlan => ({ name, kind, ...extra })
const judge = (checks: ReturnType<typeof repeatabilityChecks>) =>
  checks.map((c) => evaluateGate(c.gate, { value: c.value, context: { suite_id: 's', scope: c.scope, mode: 'B2', target_kind: 'dynamo' } }))

describe('expandRepetitions', () => {
  test('repeats the whole sequence, suffixes names, numbers repetitions and restarts the worker at each new repetition', () => {
    const seq = () => [plan('populate', 'warmup'), plan('replay')]
    const out = expandRepetitions([seq(), seq(), seq()])
    expect(out.map((p) => p.name)).toEqual(['populate-r1', 'replay-r1', 'populate-r2', 'replay-r2', 'populate-r3', 'replay-r3'])
    expect(out.map((p) => p.repetition)).toEqual([0, 0, 1, 1, 2, 2])
    expect(out.map((p) => p.restart ?? false)).toEqual([false, false, true, false, true, false])
    expect(out.every((p) => p.repeatedByDsl)).toBe(true)
  })

  test('leaves one repetition unchanged, knows suites that number their own, and refuses repetitions that plan differently', () => {
    const one = [plan('a'), plan('b')]
    expect(expandRepetitions([one])).toEqual(one)
    expect(managesOwnRepetitions([plan('cold-r1', 'measure', { repetition: 0 })])).toBe(true)
    expect(managesOwnRepetitions(one)).toBe(false)
    expect(() => expandRepetitions([one, [plan('a')]])).toThrow(/Expected repetition 2 to plan the same phases as repetition 1 \(a,b\), got a/)
  })

  test('a load phase run from a repeated custom phase inherits its repetition and suffix', () => {
    const [outer] = expandRepetitions([[plan('search', 'probe')], [plan('search', 'probe')]]).slice(1)
    expect(inheritRepetition(plan('B1-concurrency-4'), outer)).toMatchObject({ name: 'B1-concurrency-4-r2', repetition: 1 })
    expect(inheritRepetition(plan('x', 'measure', { repetition: 5 }), outer)).toMatchObject({ name: 'x', repetition: 5 })
    expect(inheritRepetition(plan('x'), plan('outer', 'probe'))).toEqual(plan('x'))
  })

  test('repetitionGroup strips the repetition segment wherever it sits', () => {
    expect(repetitionGroup('ctx512-replay-r2')).toBe('ctx512-replay')
    expect(repetitionGroup('g2-16-lru-r1-replay')).toBe('g2-16-lru-replay')
    expect(repetitionGroup('rate-run')).toBe('rate-run')
  })
})

describe('repeatabilityChecks', () => {
  test('with one repetition both gates say "not assessed (1 repetition)" as no data, never pass', () => {
    const r = judge(repeatabilityChecks([{ name: 'replay', p99: 100 }], 1))
    expect(r.map((x) => [x.gate_id, x.status, x.allow_no_data])).toEqual([
      ['cov_p99', 'no_data', true],
      ['reproducible_p99', 'no_data', true],
    ])
    expect(r[0].message).toContain('not assessed (1 repetition)')
  })

  test('judges each repeated phase: stable repetitions pass, a stray repetition fails both gates', () => {
    const stable = judge(repeatabilityChecks(['r1', 'r2', 'r3'].map((r, i) => ({ name: `replay-${r}`, p99: 100 + i })), 3))
    expect(stable.map((x) => [x.gate_id, x.scope, x.status])).toEqual([
      ['cov_p99', 'replay', 'pass'],
      ['reproducible_p99', 'replay', 'pass'],
    ])
    const stray = judge(repeatabilityChecks([100, 100, 140].map((p99, i) => ({ name: `replay-r${i + 1}`, p99 })), 3))
    expect(stray.map((x) => x.status)).toEqual(['fail', 'fail'])
    expect(stray[0].observed).toBeGreaterThan(10)
  })

  test('groups AB/BA legs by their repeats key, and lists phases measured once in one not-assessed record', () => {
    const legs = [1, 2, 3].flatMap((pair) => [
      { name: `pair${pair}-B1-replay`, repeats: 'B1-replay', p99: 100 + pair },
      { name: `pair${pair}-B2-replay`, repeats: 'B2-replay', p99: 80 + pair },
    ])
    const checks = repeatabilityChecks([...legs, { name: 'B1-concurrency-7-r2', p99: 50 }], 3)
    expect(checks.filter((c) => c.scope !== null).map((c) => c.scope)).toEqual(['B1-replay', 'B1-replay', 'B2-replay', 'B2-replay'])
    const once = checks.filter((c) => c.scope === null)
    expect(once).toHaveLength(2)
    expect(once[0].details.phases_measured_once).toEqual(['B1-concurrency-7-r2'])
    expect(judge(once).map((r) => r.status)).toEqual(['no_data', 'no_data'])
  })

  test('a full run in which nothing repeated cannot pass: one no-data record per gate', () => {
    const r = judge(repeatabilityChecks([], 3))
    expect(r.map((x) => x.status)).toEqual(['no_data', 'no_data'])
    expect(r[0].message).toContain('no measured phase ran')
  })
})
