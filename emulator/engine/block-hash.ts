// Block identity as in KVBM/TRT-LLM: a hash chain over token ids, so a block's hash covers its whole
// prefix and shared prefixes share blocks. Two 32-bit FNV-1a lanes give a 64-bit key as 16 hex chars.

export const ROOT_BLOCK_HASH = '0000000000000000'

const PRIME = 0x01000193

const hex8 = (n: number): string => (n >>> 0).toString(16).padStart(8, '0')

/** Hash of one block: its parent's hash chained with its token ids [start, end). */
export const hashBlock = (parent: string, tokens: ArrayLike<number>, start: number, end: number): string => {
  let a = parseInt(parent.slice(0, 8), 16) ^ 0x811c9dc5
  let b = parseInt(parent.slice(8, 16), 16) ^ 0x9e3779b9
  for (let i = start; i < end; i++) {
    const t = tokens[i] | 0
    a = Math.imul(a ^ (t & 0xffff), PRIME)
    a = Math.imul(a ^ (t >>> 16), PRIME)
    b = Math.imul(b ^ t, 0x5bd1e995)
    b ^= b >>> 15
  }
  return hex8(a) + hex8(b)
}

/** Hashes of every full block of `tokens`, chained from the root. */
export const blockHashes = (tokens: ArrayLike<number>, tokensPerBlock: number): string[] => {
  const out: string[] = []
  let parent = ROOT_BLOCK_HASH
  for (let start = 0; start + tokensPerBlock <= tokens.length; start += tokensPerBlock) {
    parent = hashBlock(parent, tokens, start, start + tokensPerBlock)
    out.push(parent)
  }
  return out
}

/** A 32-bit mix of strings and numbers, for deterministic choices (token picks, EOS, faults). */
export const mix32 = (...parts: (string | number)[]): number => {
  let h = 0x811c9dc5
  for (const part of parts) {
    const s = typeof part === 'number' ? String(part) : part
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), PRIME)
    h = Math.imul(h ^ 0xff, PRIME)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  return h >>> 0
}
