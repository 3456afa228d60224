// Wire shapes of the operations routes (docs/api.md §10): liveness and readiness.
import { Type } from 'typebox';

export const LiveSchema = Type.Object({ status: Type.Literal('ok') }, { additionalProperties: false });

const Check = Type.Union([Type.Literal('ok'), Type.Literal('down'), Type.Literal('not_configured')]);
export const ReadySchema = Type.Object(
  {
    status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable')]),
    checks: Type.Object({ database: Check, redis: Check }, { additionalProperties: false }),
  },
  { $id: 'Readiness', additionalProperties: false },
);
