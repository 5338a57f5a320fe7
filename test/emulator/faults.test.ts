import { describe, expect, it } from 'vitest'
import { FaultSpecError, formatFaults, NO_FAULTS, parseFaults } from '../../emulator/faults'

describe('parseFaults', () => {
  it('parses every fault of the documented example spec', () => {
    const f = parseFaults('corrupt_disk:0.5,slow_disk:20,stall:0.1,drop_worker,http_5xx:0.2,cut_stream:0.1,unregister_on_oversize,no_kvbm_metrics')
    expect(f).toEqual({
      corrupt_disk: 0.5,
      slow_disk: 20,
      stall: 0.1,
      drop_worker: true,
      http_5xx: 0.2,
      cut_stream: 0.1,
      unregister_on_oversize: true,
      no_kvbm_metrics: true,
    })
  })

  it('treats an empty spec and "none" as no faults', () => {
    expect(parseFaults('')).toEqual(NO_FAULTS)
    expect(parseFaults(' none ')).toEqual(NO_FAULTS)
  })

  it('defaults a fraction fault without a value to 1', () => {
    expect(parseFaults('http_5xx').http_5xx).toBe(1)
  })

  it.each([
    ['bogus', 'bogus'],
    ['http_5xx:1.5', 'http_5xx:1.5'],
    ['stall:-0.1', 'stall:-0.1'],
    ['slow_disk', 'slow_disk'],
    ['slow_disk:abc', 'slow_disk:abc'],
    ['drop_worker:3', 'drop_worker:3'],
    ['stall:0.1,,drop_worker', ''],
  ])('rejects %s naming the offending token', (spec, token) => {
    let err: unknown
    try {
      parseFaults(spec)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(FaultSpecError)
    expect((err as FaultSpecError).token).toBe(token)
    expect((err as Error).message).toMatch(/^Expected .* got /)
  })
})

describe('formatFaults', () => {
  it('round-trips through parseFaults', () => {
    const spec = 'corrupt_disk:0.25,slow_disk:5,drop_worker,no_kvbm_metrics'
    expect(formatFaults(parseFaults(spec))).toBe(spec)
    expect(parseFaults(formatFaults(parseFaults(spec)))).toEqual(parseFaults(spec))
  })

  it('formats no faults as an empty string', () => {
    expect(formatFaults(NO_FAULTS)).toBe('')
  })
})
