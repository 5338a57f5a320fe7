import { createRng, seedFrom } from './seeded-random'

// Integrity probe: a code word planted at a chosen depth of the context and a question asking for
// it. kvsim answers correctly only when the KV block holding the needle came back intact, so a
// corrupted disk tier shows up as wrong answers, not just as latency.

const CODE_WORDS = 'ORCHID MAPLE COBALT EMBER GRANITE HARBOR JUNIPER LANTERN MARBLE NEBULA OPAL PRISM QUARTZ RAVEN SAFFRON TUNDRA'.split(' ')

export const needleCodeWord = (key: string | number): string => {
  const rng = createRng(seedFrom('needle', key))
  return `${rng.pick(CODE_WORDS)}-${rng.int(1000, 9999)}`
}

/** The planted sentence, with a leading space so it joins prose cleanly. */
export const needleSentence = (answer: string): string => ` The secret code word is "${answer}".`

export const NEEDLE_QUESTION = 'What is the secret code word? Answer with the code word only.'

/** Answer must appear verbatim at the start of the output (trimmed, quotes allowed). */
export const needleAnswered = (output: string, answer: string): boolean =>
  output.trim().replace(/^["'`]/, '').startsWith(answer)
