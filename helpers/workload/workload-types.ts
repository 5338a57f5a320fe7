// The boundary between request generators (helpers/workload/) and executors (helpers/load/).
// A workload decides WHAT is sent (prompt, params, identity); an executor decides WHEN.

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant'
  content: string
}

/** What the client sends. The body is built once so a 200k-token prompt is serialized once. */
export interface ClientRequest {
  endpoint: 'completions' | 'chat'
  /** OpenAI body without `model`/`stream`/`stream_options` (the client adds those). */
  body: {
    prompt?: string
    messages?: ChatMessage[]
    max_tokens: number
    temperature?: number
    top_p?: number
    seed?: number
    stop?: string[]
    ignore_eos?: boolean
    /** LoRA adapter (kvsim also accepts `model: "<base>:<adapter>"`). */
    lora?: string
    /** llama.cpp: false computes the prompt without its prompt cache (a cold-cache control). */
    cache_prompt?: boolean
  }
  stream: boolean
  meta: RequestMeta
}

export interface RequestMeta {
  request_id: string
  workload: string
  session_id?: string
  turn?: number
  adapter?: string
  prefix_hash?: string
  prompt_sha: string
  params_hash: string
  identity_hash: string
  payload_hash: string
  /** Exact token count of the prompt as the model's tokenizer sees it (after the chat template). */
  prompt_tokens_expected: number
  /** Most cached prompt tokens the workload intends (nonced prompts); a server reporting more served a prompt meant to be cold. */
  reusable_tokens_max?: number
  /** Integrity probe: the expected answer when a needle was planted. */
  needle_answer?: string
  /** Keep the generated text in the record (integrity probes). */
  keep_text?: boolean
}

/** The outcome an executor hands back to a workload (sessions need the model's answer). */
export interface WorkResult {
  ok: boolean
  output_text: string | null
}

export interface WorkItem {
  request: ClientRequest
  /** fixedSchedule: offset from phase start in ms (trace timestamps before the speed factor). */
  at_ms?: number
}

/** Stateless streams of independent requests (fixed context, shared prefix, trace replay…). */
export interface RequestStream {
  readonly name: string
  /** Next request, or null when the workload is exhausted. */
  next(): WorkItem | null
}

/** Multi-turn users: each turn is built from the history including earlier answers. */
export interface Session {
  readonly id: string
  /** First turn, or the next one given the previous turn's result; null when the session ends. */
  nextTurn(previous: WorkResult | null): WorkItem | null
}

export interface SessionSource {
  readonly name: string
  /** Sessions in start order; the `sessions` executor runs `users` of them at a time. */
  sessions(): Session[]
}

export type Workload = { kind: 'stream'; source: RequestStream } | { kind: 'sessions'; source: SessionSource }
