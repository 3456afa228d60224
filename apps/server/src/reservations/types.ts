// What the reservation services need and answer: the same as the event service (spend/event-service.ts).
import type { MoneyPathDeps } from '../spend/event-service.js';
import type { MoneyOutcome } from '../spend/idempotent-request.js';

export type ReservationDeps = MoneyPathDeps;

export type ReservationOutcome = MoneyOutcome;
