import { BlockerGroup, type GateResult } from '../helpers/gates/gate'
import { gateFailed, type RunVerdict, type Verdict } from '../helpers/gates/verdict'
import { BLOCKER_GROUP_TEXT, NO_DATA_CAUSE_CODES, REASON_CODE_FIXES } from './blocker-groups'

// dossier.md: the canonical plan's blocker dossier. Every failed hard gate is one entry — what
// failed, the evidence (paths relative to the run dir), a minimal command that reproduces it, and
// what must change — grouped by blocked outcome.

export interface DossierSuite {
  suite_id: string
  file: string | null
  target_kind: string | null
  /** Settings the run used that a reproduction needs (profile, emulator profile and faults). */
  env?: Record<string, string>
  verdict: Verdict
  gates: GateResult[]
}

const q = (s: string) => s.replace(/["\\$`]/g, '\\$&')

/**
 * A `-t` filter that runs exactly the phase test a gate came from (titles are `phase <name>: …`).
 * Gates of the conclusion, and scopes naming groups (`replay*`, `a,b`, `reuse_2..`), need the whole
 * suite: no filter, since a filter that matches no test (or skips the conclusion) reproduces nothing.
 */
const phaseFilter = (scope: string | null, source?: 'phase' | 'suite'): string | null => {
  if (!scope || source === 'suite' || !/^[\w-]+$/.test(scope)) return null
  return `phase ${scope}:`
}

export const reproduceCommand = (s: DossierSuite, scope: string | null, source?: 'phase' | 'suite'): string => {
  const target = s.target_kind ?? 'emulator'
  const file = s.file ?? `suites/${s.suite_id}.test.ts`
  const filter = phaseFilter(scope, source)
  const env = Object.entries({ TIERBENCH_TARGET: target, ...s.env }).map(([k, v]) => `${k}=${/^[\w.:,/-]*$/.test(v) ? v : `"${q(v)}"`}`)
  // Files outside suites/ (the planted-fault suites) run under their own Vitest config.
  const runner = file.startsWith('test/faults/') ? '--config test/faults/vitest.faults.config.ts' : '--project suites'
  return `${env.join(' ')} npx vitest run ${runner} ${file}${filter ? ` -t "${q(filter)}"` : ''}`
}

/** The run settings a reproduction must repeat, read from manifest.json's resolved config. */
export const reproduceEnv = (manifest: Record<string, unknown> | null): Record<string, string> => {
  const config = (manifest?.config ?? {}) as {
    profile?: { name?: string }
    seed?: number
    dataset?: { id?: string }
    target?: Record<string, unknown> & { kind?: string }
  }
  const env: Record<string, string> = {}
  if (config.profile?.name) env.TIERBENCH_PROFILE = config.profile.name
  const t = config.target ?? {}
  const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : null)
  const set = (name: string, v: unknown) => {
    if (str(v)) env[name] = v as string
  }
  if (t.kind === 'emulator') {
    set('TIERBENCH_EMULATOR_PROFILE', t.profile)
    set('TIERBENCH_EMULATOR_FAULTS', t.faults)
  } else if (t.kind === 'external') {
    // Without the server's URL, model and declared mode the command would attach to nothing (or B0).
    set('TIERBENCH_BASE_URL', t.base_url)
    set('TIERBENCH_MODEL', t.model)
    set('TIERBENCH_DECLARED_MODE', t.declared_mode)
    set('TIERBENCH_KVBM_METRICS_URL', t.kvbm_metrics_url)
  } else if (t.kind === 'llamacpp') {
    set('TIERBENCH_LLAMA_SERVER_BIN', t.binary)
    set('TIERBENCH_LLAMA_MODEL', t.model_path)
  } else if (t.kind === 'vllm' || t.kind === 'sglang') {
    // The server tierbench started: same model, backend, CLI and runtime (other fields live in the config files).
    set('TIERBENCH_MODEL', t.model)
    set('TIERBENCH_BACKEND', t.backend)
    set(t.kind === 'vllm' ? 'TIERBENCH_VLLM_BIN' : 'TIERBENCH_SGLANG_PYTHON', t.kind === 'vllm' ? t.binary : t.python)
    set('TIERBENCH_SERVER_RUNTIME', t.runtime)
    set('TIERBENCH_SERVER_IMAGE', t.image)
    set('TIERBENCH_CACHE_DIR', t.cache_dir)
  }
  if (config.dataset?.id && config.dataset.id !== 'S') env.TIERBENCH_DATASET = config.dataset.id
  if (typeof config.seed === 'number' && config.seed !== 1337) env.TIERBENCH_SEED = String(config.seed)
  return env
}

// Same failure rule as the verdict (gateFailed): a hard gate without data fails unless it allows it.
const hardFailures = (s: DossierSuite) => s.gates.filter((g) => g.severity === 'hard' && gateFailed(g))

export const dossierMarkdown = (runId: string, run: RunVerdict, suites: DossierSuite[], interrupted: boolean): string => {
  const out: string[] = []
  out.push(`# Blocker dossier — run ${runId}\n`)
  out.push(`Run verdict: outcome **${run.outcome}**, run_valid=${run.run_valid}, decision_grade=${run.decision_grade}. Reason codes: ${run.reason_codes.join(', ') || 'none'}.\n`)
  if (suites.some((s) => s.verdict.emulated)) out.push('> **EMULATED** — at least one suite ran against kvsim. Its blockers prove the harness catches the fault; they are not platform findings.\n')
  const entries = suites.flatMap((s) => hardFailures(s).map((g) => ({ s, g })))
  if (entries.length === 0 && !interrupted) out.push('No hard gate failed: no blockers.\n')
  for (const group of BlockerGroup.options) {
    const inGroup = entries.filter((e) => e.g.blocker_group === group)
    const showInterrupt = group === 'run_validity' && interrupted
    if (inGroup.length === 0 && !showInterrupt) continue
    const text = BLOCKER_GROUP_TEXT[group]
    out.push(`## ${text.title} (\`${group}\`)\n`)
    out.push(`${text.means}\n`)
    if (showInterrupt) {
      out.push('### run · RUN_INTERRUPTED\n')
      out.push('- **What failed:** the run was interrupted before every suite finished; the bundle is partial and `run_valid` is false.')
      out.push('- **Evidence:** `manifest.json`, `raw/events.jsonl`, each suite\'s `raw/phases.jsonl` (phases marked `interrupted`).')
      out.push(`- **Reproduce:** \`${suites.map((s) => reproduceCommand(s, null)).join(' && ') || 'npx vitest run --project suites'}\``)
      out.push('- **What must change:** let the run finish (or resume the interrupted suites) and regenerate with `npx tierbench report <run-dir>`.\n')
    }
    for (const { s, g } of inGroup) {
      const files = [...new Set([...g.evidence.files, `${s.suite_id}/raw/gates.jsonl`, `${s.suite_id}/verdict.json`, `${s.suite_id}/summary.json`])]
      // No data is no data: the heading and remedy never borrow the gate's failure code.
      const code = g.status === 'no_data' ? 'GATE_NO_DATA' : g.reason_code
      out.push(`### ${s.suite_id} · \`${g.gate_id}\` (${code})\n`)
      out.push(`- **What failed:** ${g.status === 'no_data' ? 'no data to evaluate' : 'gate failed'} — \`${g.metric} ${g.expr}\` on ${g.scope ? `phase \`${g.scope}\`` : 'the suite'}; observed ${g.observed ?? 'none'}${g.threshold !== null ? `, threshold ${g.threshold}` : ''}. ${g.message}`)
      out.push(`- **Evidence:** ${files.map((f) => `\`${f}\``).join(', ')}`)
      const details = Object.entries(g.evidence.details)
      if (details.length) out.push(`  - details: ${details.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join('; ')}`)
      out.push(`- **Reproduce:** \`${reproduceCommand(s, g.scope, g.source)}\``)
      // A few gates' own remedies name the usual cause of their missing data (no fio → no contention figures).
      const noDataFix = g.status === 'no_data' && NO_DATA_CAUSE_CODES.has(g.reason_code) ? REASON_CODE_FIXES[g.reason_code] : undefined
      out.push(`- **What must change:** ${REASON_CODE_FIXES[code] ?? noDataFix ?? (g.status === 'no_data' ? 'the gate had nothing to evaluate: check that the phases it reads ran and sent requests, and that the target exports the metric it reads.' : text.must_change)}\n`)
    }
  }
  return out.join('\n')
}
