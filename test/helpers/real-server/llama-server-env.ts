import { existsSync } from 'node:fs'

// Real-server tests run against llama.cpp's llama-server when the binary and a model are given;
// otherwise they report themselves skipped with one line saying how to enable them (the only
// allowed skip). CI's .ci/run sets both from ../shared/tools/llama-server/ when it exists.

export interface LlamaServerEnv {
  binary: string
  model: string
}

export const HOW_TO_ENABLE =
  'set TIERBENCH_LLAMA_SERVER_BIN=/path/to/llama-server and TIERBENCH_LLAMA_MODEL=/path/to/model.gguf to run against a real llama-server'

export const llamaServerEnv = (): LlamaServerEnv | null => {
  const binary = process.env.TIERBENCH_LLAMA_SERVER_BIN
  const model = process.env.TIERBENCH_LLAMA_MODEL
  if (!binary || !model) return null
  for (const [name, p] of [['TIERBENCH_LLAMA_SERVER_BIN', binary], ['TIERBENCH_LLAMA_MODEL', model]] as const)
    if (!existsSync(p)) throw new Error(`Expected ${name} to name an existing file, got ${p}`)
  return { binary, model }
}

/** Title suffix for a describe that is skipped without a server: says how to enable it. */
export const realServerTitle = (title: string, env: LlamaServerEnv | null): string => (env ? title : `${title} (skipped: ${HOW_TO_ENABLE})`)
