import { describe, expect, it } from 'vitest'
import { blockHashes, hashBlock, ROOT_BLOCK_HASH } from '../../../emulator/engine/block-hash'

describe('block hashes', () => {
  it('hash only full blocks and chain each block to its whole prefix', () => {
    const a = blockHashes([1, 2, 3, 4, 5, 6, 7, 8, 9], 4)
    expect(a).toHaveLength(2)
    expect(a[0]).toBe(hashBlock(ROOT_BLOCK_HASH, [1, 2, 3, 4], 0, 4))
    expect(a[1]).toBe(hashBlock(a[0], [5, 6, 7, 8], 0, 4))
    // Same second block after a different first block: a different hash.
    const b = blockHashes([9, 2, 3, 4, 5, 6, 7, 8], 4)
    expect(b[1]).not.toBe(a[1])
    expect(a[0]).toMatch(/^[0-9a-f]{16}$/)
  })

  it('tells apart token ids that differ only in their high bits', () => {
    expect(hashBlock(ROOT_BLOCK_HASH, [1], 0, 1)).not.toBe(hashBlock(ROOT_BLOCK_HASH, [1 + 65536], 0, 1))
  })
})
