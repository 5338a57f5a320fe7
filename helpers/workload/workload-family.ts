import { type Dataset, DATASET_DEFAULTS, type DatasetId } from '../config/dataset'
import { agentLoop } from './agent-loop'
import { fixedContext } from './fixed-context'
import { mixed } from './mixed'
import { ragLongdoc } from './rag-longdoc'
import { sharedPrefix } from './shared-prefix'
import type { WorkloadContext } from './workload-context'
import type { Workload } from './workload-types'

// The canonical plan's workload families (W1) on a dataset tier (W0.1):
// A local project copilot, B multi-turn agent loop, C offline RAG summarization, D mixed.

export const WorkloadFamilyId = ['A', 'B', 'C', 'D'] as const
export type WorkloadFamilyId = (typeof WorkloadFamilyId)[number]

export const WORKLOAD_FAMILY_NAMES: Record<WorkloadFamilyId, string> = {
  A: 'local project copilot (shared prefix)',
  B: 'multi-turn agent loop (session persistence)',
  C: 'offline RAG summarization (long prefill)',
  D: 'mixed local inference (multi-tenant)',
}

export interface WorkloadFamilyOptions {
  ctx: WorkloadContext
  /** Overrides the built-in dataset (e.g. the run config's `dataset`). */
  dataset?: Dataset
  /** Request cap for stream families (A, C, D). @default unbounded */
  requests?: number
  /** Sessions (A, B). @default 8 */
  sessions?: number
  /** Turns per session (B). @default 8 */
  turns?: number
}

export const workloadFamily = (family: WorkloadFamilyId, datasetId: DatasetId, o: WorkloadFamilyOptions): Workload => {
  const ds = o.dataset ?? DATASET_DEFAULTS[datasetId]
  if (ds.id !== datasetId) throw new Error(`Expected dataset ${datasetId}, got dataset ${ds.id}`)
  const ctx: WorkloadContext = { ...o.ctx, params: { max_tokens: ds.max_tokens, ...o.ctx.params } }
  const name = `family_${family}_${ds.id}`
  switch (family) {
    case 'A':
      return sharedPrefix(ctx, { name, prefixTokens: ds.prefix_tokens, queryTokens: ds.query_tokens, sessions: o.sessions ?? 8, burstSize: 4, requests: o.requests })
    case 'B':
      return agentLoop(ctx, {
        name,
        sessions: o.sessions ?? 8,
        turns: o.turns ?? 8,
        // S keeps the whole loop under 8k; L starts from a long-context prefix.
        systemTokens: ds.id === 'S' ? 512 : ds.prefix_tokens,
        taskTokens: ds.turn_tokens,
        toolOutputTokens: ds.tool_output_tokens,
      })
    case 'C':
      return ragLongdoc(ctx, {
        name,
        documentTokens: ds.document_tokens,
        questionsPerDocument: ds.questions_per_document,
        questionTokens: ds.query_tokens,
        documents: o.requests === undefined ? undefined : Math.ceil(o.requests / ds.questions_per_document),
      })
    case 'D': {
      const menu = ds.context_menu
      const short = menu.slice(0, Math.max(1, Math.ceil(menu.length / 3)))
      const docs = ds.document_tokens
      return mixed({
        name,
        seed: ctx.seed,
        requests: o.requests,
        components: [
          { weight: 0.6, workload: fixedContext(ctx, { name: `${name}_chat`, contextTokens: short, nonce: 'per_request', users: o.sessions ?? 8 }) },
          { weight: 0.3, workload: ragLongdoc(ctx, { name: `${name}_rag`, documentTokens: docs[0], questionsPerDocument: 2, questionTokens: ds.query_tokens }) },
          { weight: 0.1, workload: fixedContext(ctx, { name: `${name}_summarize`, contextTokens: menu[menu.length - 1], nonce: 'per_request' }) },
        ],
      })
    }
  }
}
