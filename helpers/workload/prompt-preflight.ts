// The Spark engine unregisters its worker when a prompt exceeds max_num_tokens, emptying
// /v1/models for the rest of the run, so an oversize prompt is refused before anything is sent.

export interface PreflightOptions {
  maxInputTokens: number
  maxTokens: number
  /** Safety margin for tokenizer and template differences (prior harness default). @default 256 */
  marginTokens?: number
  /** Named in the error so the offending request can be found. */
  requestId?: string
}

export class PromptPreflightError extends Error {
  constructor(
    message: string,
    readonly tokens: number,
    readonly ceiling: number,
  ) {
    super(message)
    this.name = 'PromptPreflightError'
  }
}

/** The largest prompt that is safe to send. */
export const promptCeiling = ({ maxInputTokens, maxTokens, marginTokens = 256 }: PreflightOptions): number =>
  maxInputTokens - maxTokens - marginTokens

/** Returns the ceiling, or throws when `tokens` is over it. */
export const preflightPrompt = (tokens: number, opts: PreflightOptions): number => {
  const margin = opts.marginTokens ?? 256
  const ceiling = promptCeiling(opts)
  if (tokens > ceiling)
    throw new PromptPreflightError(
      `Expected request ${opts.requestId ?? '(unnamed)'} to have at most ${ceiling} prompt tokens ` +
        `(max input ${opts.maxInputTokens} - max_tokens ${opts.maxTokens} - margin ${margin}), got ${tokens}`,
      tokens,
      ceiling,
    )
  return ceiling
}
