import { applyChatTemplate } from '../tokenizer/chat-template'
import { buildRequest } from './request-builder'
import { hashCanonical } from './request-identity'
import { createRng, seedFrom } from './seeded-random'
import type { WorkloadContext } from './workload-context'
import type { RequestStream, Workload } from './workload-types'

// LoRA adapter suite (v3.0 plan H1; seed 001 H5/H6): every request names an adapter
// `adapter-000…`, either random per request (storm: adapters churn) or sticky per user (each user
// keeps one adapter). The adapter is part of the identity hash because it changes the KV.

export interface LoraOptions {
  /** @default 'lora' */
  name?: string
  /** Requests to decorate (any stream workload, e.g. fixedContext). */
  inner: Workload
  /** Number of adapters, named adapter-000 … @default 4 */
  adapters?: number
  /** @default 'sticky' */
  assignment?: 'random' | 'sticky'
  /** Users for sticky assignment: request i belongs to user i % users. @default 8 */
  users?: number
}

export const adapterName = (index: number): string => `adapter-${String(index).padStart(3, '0')}`

export const lora = (ctx: WorkloadContext, o: LoraOptions): Workload => {
  const name = o.name ?? 'lora'
  if (o.inner.kind !== 'stream') throw new Error(`Expected a stream workload inside ${name}, got sessions (${o.inner.source.name})`)
  const inner = o.inner.source as RequestStream
  const adapters = o.adapters ?? 4
  const users = o.users ?? 8
  const stickyOf = Array.from({ length: users }, (_, u) => createRng(seedFrom(ctx.seed, name, 'user', u)).int(0, adapters - 1))
  let i = 0
  return {
    kind: 'stream',
    source: {
      name,
      next: () => {
        const item = inner.next()
        if (!item) return null
        const index = i++
        const user = index % users
        const adapter = adapterName(
          (o.assignment ?? 'sticky') === 'sticky' ? stickyOf[user] : createRng(seedFrom(ctx.seed, name, 'req', index)).int(0, adapters - 1),
        )
        const { body, meta } = item.request
        const messages = body.messages ?? []
        const text = body.prompt ?? applyChatTemplate(ctx.template, messages)
        const request = buildRequest(ctx, {
          workload: name,
          requestId: `${name}-${meta.request_id}`,
          prompt: { messages, text, tokens: meta.prompt_tokens_expected },
          prefixText: undefined,
          session_id: `u${user}`,
          turn: Math.floor(index / users),
          adapter,
          needleAnswer: meta.needle_answer,
          params: { max_tokens: body.max_tokens, temperature: body.temperature, top_p: body.top_p, seed: body.seed, stop: body.stop, ignore_eos: body.ignore_eos },
        })
        // The same prefix under another adapter is different KV: no reuse opportunity across adapters.
        if (meta.prefix_hash) request.meta.prefix_hash = hashCanonical({ adapter, prefix_hash: meta.prefix_hash })
        return { ...item, request }
      },
    },
  }
}
