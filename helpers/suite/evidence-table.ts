import type { EvidenceRole, Gate, GateResult } from '../gates/gate'
import { EvidenceRole as Roles } from '../gates/gate'
import { evidenceRoleOf } from '../gates/verdict'

// The "Evidence" section of docs/suites/<id>.md: which link of the evidence chain the suite's claim
// needs and which of its gates supply it. Generated from the suite definition, so the page cannot
// drift from the code (test/suites/suite-evidence.test.ts compares them).

export const EVIDENCE_START = '<!-- evidence:start (generated from the suite definition; see test/suites/suite-evidence.test.ts) -->'
export const EVIDENCE_END = '<!-- evidence:end -->'

const LINK_LABEL: Record<EvidenceRole, string> = {
  mechanism: 'mechanism (KV counters show the tier did the work)',
  os_corroboration: 'OS corroboration (the kernel saw the IO, from the serving processes)',
  user_impact: 'user-visible impact (latency or capacity users would notice)',
  repeatability: 'repeatability (holds across repetitions)',
  answer_integrity: 'answer integrity (reused KV gives the same answers)',
}

/** The link a gate supplies when it passes (its evidence_role, else inferred as the verdict does). */
export const gateLink = (g: Gate): EvidenceRole | null => evidenceRoleOf({ ...g, gate_id: g.id } as unknown as GateResult)

export const evidenceTableMarkdown = (required: readonly EvidenceRole[], gates: readonly Gate[]): string => {
  const rows = required.map((link) => {
    const supply = gates.filter((g) => gateLink(g) === link).map((g) => `\`${g.id}\` (${g.severity})`)
    return `| ${LINK_LABEL[link]} | ${supply.length ? supply.join(', ') : '**none — bug**'} |`
  })
  const notRequired = Roles.options.filter((r) => !required.includes(r))
  return [
    EVIDENCE_START,
    '## Evidence',
    '',
    'A run of this suite is decision-grade when it ran on real hardware (not the emulator), every hard gate passed, and each link below is supplied by a passing gate that no other gate of the same link contradicts.',
    '',
    '| link the claim needs | gate(s) that supply it |',
    '|---|---|',
    ...rows,
    '',
    `Not required by this claim: ${notRequired.length ? notRequired.join(', ') : 'none'}. Repetitions: \`full\` runs 3 and judges \`cov_p99\` and \`reproducible_p99\` on every measured phase; \`smoke\` runs 1 and records them as "not assessed (1 repetition)".`,
    EVIDENCE_END,
  ].join('\n')
}

/** The page with its Evidence section replaced, or inserted before `## Charts` / `## Run` / the end. */
export const withEvidenceSection = (page: string, section: string): string => {
  const s = page.indexOf(EVIDENCE_START)
  const e = page.indexOf(EVIDENCE_END)
  if (s >= 0 && e > s) return page.slice(0, s) + section + page.slice(e + EVIDENCE_END.length)
  for (const anchor of ['\n## Charts', '\n## Run']) {
    const at = page.indexOf(anchor)
    if (at >= 0) return `${page.slice(0, at + 1)}${section}\n\n${page.slice(at + 1)}`
  }
  return `${page.trimEnd()}\n\n${section}\n`
}

/** The Evidence section as it stands in a page, or null. */
export const evidenceSectionOf = (page: string): string | null => {
  const s = page.indexOf(EVIDENCE_START)
  const e = page.indexOf(EVIDENCE_END)
  return s >= 0 && e > s ? page.slice(s, e + EVIDENCE_END.length) : null
}
