// Fault injection for kvsim. One spec grammar for `--faults` and `POST /admin/faults`, so a suite
// can plant a fault at start or mid-run and read back exactly what is active.
//
//   spec   := "" | token ("," token)*
//   token  := name | name ":" value
// Fractions are 0..1; slow_disk is extra ms per G3 read; flags take no value.

export interface FaultSet {
  /** Fraction of onboarded G3 blocks returned corrupted (engine). */
  corrupt_disk: number
  /** Extra ms per G3 read (engine). */
  slow_disk: number
  /** Fraction of admitted requests that never yield a token (engine). */
  stall: number
  /** Worker unregistered: health unhealthy, models empty, completions 503. */
  drop_worker: boolean
  /** Fraction of requests answered 500/503 with an error object. */
  http_5xx: number
  /** Fraction of streams whose connection is destroyed mid-stream without [DONE]. */
  cut_stream: number
  /** An over-limit prompt also unregisters the worker (the real engine's behaviour). */
  unregister_on_oversize: boolean
  /** KVBM metrics port not served even when DYN_KVBM_METRICS is set. */
  no_kvbm_metrics: boolean
}

export const NO_FAULTS: Readonly<FaultSet> = Object.freeze({
  corrupt_disk: 0,
  slow_disk: 0,
  stall: 0,
  drop_worker: false,
  http_5xx: 0,
  cut_stream: 0,
  unregister_on_oversize: false,
  no_kvbm_metrics: false,
})

type FaultKind = 'fraction' | 'ms' | 'flag'
const FAULT_KINDS: Record<keyof FaultSet, FaultKind> = {
  corrupt_disk: 'fraction',
  slow_disk: 'ms',
  stall: 'fraction',
  drop_worker: 'flag',
  http_5xx: 'fraction',
  cut_stream: 'fraction',
  unregister_on_oversize: 'flag',
  no_kvbm_metrics: 'flag',
}
export const FAULT_NAMES = Object.keys(FAULT_KINDS) as (keyof FaultSet)[]

export class FaultSpecError extends Error {
  constructor(
    message: string,
    readonly token: string,
  ) {
    super(message)
    this.name = 'FaultSpecError'
  }
}

const isFaultName = (name: string): name is keyof FaultSet => Object.hasOwn(FAULT_KINDS, name)

/** Parses a fault spec; throws FaultSpecError naming the offending token. */
export const parseFaults = (spec: string): FaultSet => {
  const faults: FaultSet = { ...NO_FAULTS }
  const trimmed = spec.trim()
  if (trimmed === '' || trimmed === 'none') return faults
  for (const raw of trimmed.split(',')) {
    const token = raw.trim()
    if (token === '') throw new FaultSpecError(`Expected a fault token, got an empty token in "${spec}"`, raw)
    const colon = token.indexOf(':')
    const name = colon < 0 ? token : token.slice(0, colon)
    const valueText = colon < 0 ? null : token.slice(colon + 1)
    if (!isFaultName(name))
      throw new FaultSpecError(`Expected fault name to be one of ${FAULT_NAMES.join(', ')}, got "${name}" in token "${token}"`, token)
    const kind = FAULT_KINDS[name]
    if (kind === 'flag') {
      if (valueText !== null && !/^(1|true)$/i.test(valueText))
        throw new FaultSpecError(`Expected fault "${name}" to take no value, got "${valueText}" in token "${token}"`, token)
      ;(faults[name] as boolean) = true
      continue
    }
    const value = valueText === null ? (kind === 'fraction' ? 1 : NaN) : Number(valueText)
    if (valueText !== null && valueText.trim() === '')
      throw new FaultSpecError(`Expected a number after "${name}:", got nothing in token "${token}"`, token)
    if (kind === 'fraction' && !(value >= 0 && value <= 1))
      throw new FaultSpecError(`Expected fault "${name}" to be a fraction in [0, 1], got "${valueText}" in token "${token}"`, token)
    if (kind === 'ms' && !(Number.isFinite(value) && value >= 0))
      throw new FaultSpecError(`Expected fault "${name}" to be a non-negative number of ms, got "${valueText ?? ''}" in token "${token}"`, token)
    ;(faults[name] as number) = value
  }
  return faults
}

/** The canonical spec string of a fault set ("" when none); parseFaults(formatFaults(f)) equals f. */
export const formatFaults = (faults: FaultSet): string =>
  FAULT_NAMES.filter((n) => faults[n] !== NO_FAULTS[n])
    .map((n) => (FAULT_KINDS[n] === 'flag' ? n : `${n}:${faults[n]}`))
    .join(',')
