import type { RequestRecord } from '../client/request-record'

// Answer integrity (dynamo-kvbm.md §7: on GB10 the SSD tier booked +1884 disk onboards and a fast
// TTFT while the answer was wrong). Replayed requests at temperature 0 must return the same text
// (output_sha) the reference mode/phase returned for the same identity_hash, and planted needles
// must be answered. A mismatch is corruption whatever the counters say. Callers pass only
// deterministic (temperature 0) requests: identity_hash covers the params, so equal identities
// share a temperature.

type IntegrityRecord = Pick<RequestRecord, 'request_id' | 'identity_hash' | 'ok' | 'output_sha' | 'phase' | 'mode'> & {
  output_text?: string
}

export interface IntegrityExample {
  kind: 'mismatch' | 'needle_failure'
  request_id: string
  identity_hash: string
  phase: string
  mode: string
  expected: string
  got: string | null
}

export interface IntegrityResult {
  /** Records compared against the reference by identity_hash. */
  compared: number
  mismatches: number
  /** Needle probes checked / answered wrongly. */
  needles_checked: number
  needle_failures: number
  /** Identities for which the reference itself returned more than one text (non-deterministic reference). */
  reference_conflicts: number
  /** Up to `maxExamples` failures for the dossier. */
  examples: IntegrityExample[]
}

export interface IntegrityInput {
  /** Records to check (e.g. B2 replay phase). */
  records: readonly IntegrityRecord[]
  /** Records of the reference mode/phase (e.g. B0 or the first pass). */
  reference?: readonly IntegrityRecord[]
  /** Planted needle answers by request_id or identity_hash. */
  needles?: ReadonlyMap<string, string> | Readonly<Record<string, string>>
  /** @default 10 */
  maxExamples?: number
}

const normalize = (s: string): string => s.trim().replace(/\s+/g, ' ').toLowerCase()

/** A needle counts as answered when the normalized output starts with or contains the answer. */
export const needleAnswered = (outputText: string | undefined | null, answer: string): boolean => {
  if (!outputText) return false
  const out = normalize(outputText)
  const ans = normalize(answer)
  return ans.length > 0 && (out.startsWith(ans) || out.includes(ans))
}

export const checkIntegrity = (input: IntegrityInput): IntegrityResult => {
  const maxExamples = input.maxExamples ?? 10
  const examples: IntegrityExample[] = []
  const refShas = new Map<string, Set<string>>()
  for (const r of input.reference ?? []) {
    if (!r.ok || r.output_sha === null) continue
    const set = refShas.get(r.identity_hash) ?? new Set<string>()
    set.add(r.output_sha)
    refShas.set(r.identity_hash, set)
  }
  let reference_conflicts = 0
  for (const set of refShas.values()) if (set.size > 1) reference_conflicts++

  const needleOf = (r: IntegrityRecord): string | undefined => {
    const n = input.needles
    if (!n) return undefined
    if (n instanceof Map) return n.get(r.request_id) ?? n.get(r.identity_hash)
    const rec = n as Readonly<Record<string, string>>
    return rec[r.request_id] ?? rec[r.identity_hash]
  }

  let compared = 0
  let mismatches = 0
  let needles_checked = 0
  let needle_failures = 0
  for (const r of input.records) {
    if (!r.ok) continue
    const ref = refShas.get(r.identity_hash)
    if (ref && r.output_sha !== null) {
      compared++
      if (!ref.has(r.output_sha)) {
        mismatches++
        if (examples.length < maxExamples)
          examples.push({ kind: 'mismatch', request_id: r.request_id, identity_hash: r.identity_hash, phase: r.phase, mode: r.mode, expected: [...ref].join('|'), got: r.output_sha })
      }
    }
    const answer = needleOf(r)
    if (answer !== undefined) {
      needles_checked++
      if (!needleAnswered(r.output_text, answer)) {
        needle_failures++
        if (examples.length < maxExamples)
          examples.push({ kind: 'needle_failure', request_id: r.request_id, identity_hash: r.identity_hash, phase: r.phase, mode: r.mode, expected: answer, got: r.output_text?.slice(0, 200) ?? null })
      }
    }
  }
  return { compared, mismatches, needles_checked, needle_failures, reference_conflicts, examples }
}
