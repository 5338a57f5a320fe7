// The integrity probe the harness plants: `The secret code word is "X".` The engine makes the answer
// start with X only when the KV block holding that token offset is intact (the GB10 wrong-answer case).

const NEEDLE_RE = /The secret code word is "([^"\n]{1,64})"\./

export interface NeedleMatch {
  answer: string
  /** Character offset of the needle sentence in the prompt text. */
  charOffset: number
}

export const findNeedle = (text: string): NeedleMatch | null => {
  const m = NEEDLE_RE.exec(text)
  return m ? { answer: m[1], charOffset: m.index } : null
}
