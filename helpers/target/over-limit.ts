import type { TargetInfo } from './target'

// What a server does with a prompt over its max input: kvsim, vLLM and llama.cpp refuse it with a
// 4xx and keep serving; a Dynamo + TRT-LLM worker unregisters (the prior Spark harness lost the model
// for the rest of the run). Probes send over-limit prompts only to servers that refuse cleanly.
export type OverLimitBehaviour = 'rejects' | 'unregisters' | 'unknown'

export const overLimitBehaviour = (info: Pick<TargetInfo, 'kind'> & { overLimit?: OverLimitBehaviour }): OverLimitBehaviour =>
  info.overLimit ?? (info.kind === 'emulator' || info.kind === 'llamacpp' ? 'rejects' : info.kind === 'dynamo' ? 'unregisters' : 'unknown')
