import type { GateResult } from '../helpers/gates/gate'
import { modeLabel } from './mode-order'
import type { PhaseFigures } from './phase-figures'
import type { FigureIndexEntry } from './suite-summary'
import type { Verdict } from '../helpers/gates/verdict'

// <suite>/report.md: verdict, gate table, phase table and every chart, readable on GitHub.

const fmt = (v: number | null | undefined, d = 1): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d))
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ')

/** One paragraph a human can read in the console or at the top of the report. */
export const verdictParagraph = (v: Verdict, title: string | null): string => {
  const failedHard = v.blockers.flatMap((b) => b.gates).filter((g) => g.severity === 'hard')
  const parts = [
    `${v.suite_id}${title ? ` (${title})` : ''}: outcome **${v.outcome}**, run_valid=${v.run_valid}, decision_grade=${v.decision_grade}${v.emulated ? ' (EMULATED target: never decision-grade)' : ''}.`,
    `Gates: ${v.gates.pass} passed, ${v.gates.hard_fail} hard failed, ${v.gates.soft_fail} soft failed, ${v.gates.not_applicable} not applicable, ${v.gates.no_data} no data; tests: ${v.tests.pass}/${v.tests.total} passed.`,
  ]
  if (failedHard.length) {
    // One entry per gate and code, counted: a refusal repeated in every phase is one line, not 48.
    const counts = new Map<string, number>()
    for (const b of failedHard) {
      const key = `${b.gate_id} (${b.reason_code})`
      counts.set(key, (counts.get(key) ?? 0) + 1)
    }
    parts.push(`Blockers: ${[...counts].map(([k, n]) => (n > 1 ? `${k} in ${n} phases` : k)).join(', ')}.`)
  }
  if (v.reason_codes.length) parts.push(`Reason codes: ${v.reason_codes.join(', ')}.`)
  return parts.join(' ')
}

export const gateTable = (gates: GateResult[]): string => {
  if (gates.length === 0) return '_No gate results were recorded (raw/gates.jsonl is empty or missing)._\n'
  const rows = gates.map(
    (g) => `| ${g.status === 'fail' ? `**${g.status}**` : g.status} | ${g.severity} | \`${cell(g.gate_id)}\` | ${cell(g.scope ?? 'suite')} | \`${cell(g.metric)} ${cell(g.expr)}\` | ${fmt(g.observed, 3)} | ${g.reason_code} | ${cell(g.message)} |`,
  )
  return ['| status | severity | gate | scope | expression | observed | reason code | message |', '|---|---|---|---|---|---|---|---|', ...rows].join('\n') + '\n'
}

export const phaseTable = (phases: PhaseFigures[]): string => {
  if (phases.length === 0) return '_No phases were recorded._\n'
  const rows = phases.map(
    (p) =>
      `| ${cell(p.phase)} | ${p.phase_kind} | ${modeLabel(p.mode)} | ${cell(p.step_label || '–')} | ${p.repetition ?? '–'} | ${p.count} | ${fmt(p.error_rate * 100, 2)} | ${p.cached_tokens} / ${p.input_tokens} | ${fmt(p.latency.ttft_ms.p50)} | ${fmt(p.latency.ttft_ms.p95)} | ${fmt(p.latency.ttft_ms.p99)} | ${fmt(p.latency.tpot_ms.p99, 2)} | ${fmt(p.latency.e2e_ms.p99)} | ${fmt(p.req_per_s, 2)} | ${p.record?.interrupted ? 'interrupted' : ''} |`,
  )
  return [
    '| phase | kind | mode | step | rep | requests | errors % | cached / prompt tokens | TTFT p50 ms | TTFT p95 ms | TTFT p99 ms | TPOT p99 ms | E2E p99 ms | req/s | note |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n') + '\n'
}

export const suiteReportMarkdown = (args: {
  verdict: Verdict
  title: string | null
  /** The suite's finding in one sentence; the report's first line after the title. */
  headline?: string | null
  /** Phases that started on a busy host (host_load events). */
  loaded_host_phases?: { phase: string; problems: string[] }[]
  /** Phases whose first attempt the environment spoiled (phase_rerun / phase_invalid_not_rerun events). */
  invalid_attempts?: { phase: string; reasons: string[]; rerun: boolean; why: string | null; replayed?: string[] }[]
  hypothesis: string | null
  phases: PhaseFigures[]
  gates: GateResult[]
  figures: FigureIndexEntry[]
  requested_charts: string[]
  read_issues: string[]
}): string => {
  const { verdict: v } = args
  const out: string[] = []
  // Titles already written "h2b: …" are not prefixed twice.
  const titled = args.title && !args.title.toLowerCase().startsWith(`${v.suite_id.toLowerCase()}:`) ? `${v.suite_id}: ${args.title}` : (args.title ?? v.suite_id)
  out.push(`# ${titled}\n`)
  if (args.headline) out.push(`**Finding${v.emulated ? ' (emulated)' : ''}:** ${args.headline}\n`)
  if (v.emulated) out.push('> **EMULATED** — these results come from the kvsim emulator. They exercise the harness and its gates; they are not hardware evidence and are never decision-grade.\n')
  if (args.hypothesis) out.push(`Hypothesis: ${args.hypothesis}\n`)
  out.push('## Verdict\n')
  out.push(`${verdictParagraph(v, null)}\n`)
  for (const a of args.invalid_attempts ?? [])
    out.push(
      a.rerun
        ? `**Re-run:** the first attempt of phase \`${a.phase}\` was invalid because of the environment (${a.reasons.join('; ')}); it was re-run once${a.replayed?.length ? ` from a freshly applied mode after replaying its warm-ups (${a.replayed.map((w) => `\`${w}\``).join(', ')})` : ''}, and every figure and gate here uses the second attempt (the first stays in raw/requests.jsonl, records without \`attempt\`).\n`
        : `**Invalid, not re-run:** phase \`${a.phase}\` was spoiled by the environment (${a.reasons.join('; ')}); ${a.why ?? 'it could not be re-run'}.\n`,
    )
  const loaded = args.loaded_host_phases ?? []
  if (loaded.length)
    out.push(
      `**Busy host:** ${loaded.length} measured phase${loaded.length === 1 ? '' : 's'} started on a loaded host (${loaded.map((l) => `${l.phase}: ${l.problems.join(', ')}`).join('; ')}). CLIENT_BOTTLENECK or ALIGNMENT_LOW failures there point at this machine, not the product: re-run on a quieter host.\n`,
    )
  const c = v.evidence_chain
  out.push(`Evidence chain: mechanism ${c.mechanism} · OS corroboration ${c.os_corroboration} · user-visible impact ${c.user_impact} · repeatability ${c.repeatability} · answer integrity ${c.answer_integrity}. Full record: [verdict.json](verdict.json), figures: [summary.json](summary.json).\n`)
  if (v.run_errors.length) out.push(`Run errors: ${v.run_errors.join('; ')}\n`)
  out.push('## Gates\n')
  out.push(gateTable(args.gates))
  out.push('## Phases\n')
  out.push('Figures recomputed from `raw/requests.jsonl` (successful requests only for latencies; percentiles by linear interpolation).\n')
  out.push(phaseTable(args.phases))
  out.push('## Figures\n')
  for (const f of args.figures.filter((f) => f.chart || f.csv)) {
    out.push(`### ${f.title}\n`)
    if (f.chart) out.push(`![${f.title}](${f.chart})\n`)
    if (f.csv) out.push(`Data: [${f.csv}](${f.csv}) (${f.rows} rows)\n`)
  }
  const missing = args.figures.filter((f) => !f.csv && !f.chart)
  if (missing.length) {
    out.push('### Figures without data\n')
    for (const f of missing) out.push(`- \`${f.id}\`${args.requested_charts.includes(f.id) ? ' (requested by the suite)' : ''}: ${f.skipped}`)
    out.push('')
  }
  if (args.read_issues.length) {
    out.push('## Input problems\n')
    for (const i of args.read_issues) out.push(`- ${i}`)
    out.push('')
  }
  return out.join('\n')
}
