import { z } from 'zod'
import { ArrivalRateSpec } from './arrival-rate'
import { ConstantConcurrencySpec } from './constant-concurrency'
import { FixedScheduleSpec } from './fixed-schedule'
import { RampingArrivalRateSpec } from './ramping-arrival-rate'
import { RampingConcurrencySpec } from './ramping-concurrency'
import { SessionsSpec } from './sessions'

// Every executor a phase can use, discriminated on `type` (k6 vocabulary, camelCase).
export const ExecutorSpec = z.discriminatedUnion('type', [
  ConstantConcurrencySpec,
  RampingConcurrencySpec,
  ArrivalRateSpec,
  RampingArrivalRateSpec,
  FixedScheduleSpec,
  SessionsSpec,
])
export type ExecutorSpec = z.infer<typeof ExecutorSpec>

/** True for executors that never wait on completions (coordinated-omission safe). */
export const isOpenLoop = (spec: ExecutorSpec): boolean =>
  spec.type === 'arrivalRate' || spec.type === 'ramping' || spec.type === 'fixedSchedule'

/** Planned phase length in seconds, when the spec fixes one (progress shows elapsed/planned). */
export const plannedDurationS = (spec: ExecutorSpec): number | null => {
  switch (spec.type) {
    case 'arrivalRate':
      return spec.duration_s
    case 'ramping':
    case 'rampingConcurrency':
      return spec.stages.reduce((a, s) => a + s.duration_s, 0)
    case 'constantConcurrency':
    case 'sessions':
      return spec.duration_s ?? null
    case 'fixedSchedule':
      return null
  }
}
