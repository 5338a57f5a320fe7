import { fillerText } from './prompt-filler'
import { fitPrompt } from './prompt-fit'
import { buildRequest } from './request-builder'
import { requestId, streamOf, streamWorkload } from './request-stream'
import { createRng, seedFrom } from './seeded-random'
import type { GenerationParams, WorkloadContext } from './workload-context'
import type { ChatMessage, Workload } from './workload-types'

// Offline RAG over long documents (family C; dataset L is canonical): prefill-heavy prompts with
// modest generation. Several questions are asked of each document, one after another, so the
// document's KV is worth keeping (and worth fetching back from a tier) between questions.

export interface RagLongdocOptions {
  /** @default 'rag_longdoc' */
  name?: string
  /** Total prompt size of each request (document + question); a menu is picked per document. */
  documentTokens: number | readonly number[]
  /** @default 4 */
  questionsPerDocument?: number
  /** Size of each question's prose. @default 64 */
  questionTokens?: number
  /** @default unbounded */
  documents?: number
  params?: Partial<GenerationParams>
}

const SYSTEM = 'You answer questions about the document the user provides. Quote it when you can.'

export const ragLongdoc = (ctx: WorkloadContext, o: RagLongdocOptions): Workload => {
  const name = o.name ?? 'rag_longdoc'
  const q = o.questionsPerDocument ?? 4
  const menu = typeof o.documentTokens === 'number' ? [o.documentTokens] : [...o.documentTokens]
  const documents = o.documents ?? Number.POSITIVE_INFINITY
  return streamWorkload(
    streamOf(name, documents * q, (i) => {
      const doc = Math.floor(i / q)
      const question = i % q
      const tokens = createRng(seedFrom(ctx.seed, name, 'doc', doc)).pick(menu)
      const docKey = `${ctx.seed}:${name}:doc${doc}:${tokens}`
      const qText = fillerText(ctx.tokenizer, o.questionTokens ?? 64, `${docKey}:q${question}`)
      const render = (fill: number): ChatMessage[] => [
        { role: 'system', content: SYSTEM },
        { role: 'user', content: `Document ${doc}:${fillerText(ctx.tokenizer, fill, docKey)}\n\nQuestion:${qText}?` },
      ]
      const prompt = fitPrompt({ tokenizer: ctx.tokenizer, template: ctx.template, tokens, render, label: `document ${doc} question ${question}` })
      const shared = prompt.text.slice(0, prompt.text.lastIndexOf('\n\nQuestion:'))
      return {
        request: buildRequest(ctx, {
          workload: name,
          requestId: requestId(name, i),
          prompt,
          prefixText: shared,
          session_id: `doc${String(doc).padStart(4, '0')}`,
          turn: question,
          params: o.params,
        }),
      }
    }),
  )
}
