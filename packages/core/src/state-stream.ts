/**
 * The streams of States (`value$`, `states$`) guard their subscribers. RxJS reports an error
 * thrown by a subscriber's callback by rethrowing it from a timer, which kills a Node process —
 * and a State emits inside `commitStateWrites`, so one faulty logger would take a training run
 * down. Here a throwing subscriber is reported on `stateStreamErrors$` (or `console.error` when
 * nobody listens there) and the stream, the other subscribers and the commit carry on.
 */
import { Observable, type Observer, type Operator, Subject, Subscriber, type Subscription, type TeardownLogic } from "rxjs";
import { ValueError, describeValue } from "./errors.js";

/** One error thrown by a subscriber of a State stream. */
export interface StateStreamError {
  /** The stream: `State "loss" (f32[])`, `states$`... */
  readonly stream: string;
  readonly error: unknown;
}

type Report = (stream: string, error: unknown) => void;

/**
 * An Observable whose final subscribers are guarded: what they throw goes to `report` instead of
 * RxJS's rethrow-from-a-timer. Operators applied with `pipe` give guarded streams too (`lift`).
 * Operator-internal subscribers pass through untouched, so unsubscription chains stay intact.
 */
class GuardedStream<T> extends Observable<T> {
  constructor(
    private readonly describeStream: () => string,
    private readonly report: Report,
    subscribe?: (this: Observable<T>, subscriber: Subscriber<T>) => TeardownLogic,
  ) {
    super(subscribe);
  }

  override lift<R>(operator?: Operator<T, R>): Observable<R> {
    const out = new GuardedStream<R>(this.describeStream, this.report);
    // RxJS's own lifting protocol (what Subject does to keep its type through pipe).
    out.source = this;
    out.operator = operator;
    return out;
  }

  override subscribe(observerOrNext?: Partial<Observer<T>> | ((value: T) => void) | null): Subscription {
    if (observerOrNext instanceof Subscriber) return super.subscribe(observerOrNext);
    // A careless subscriber (a number, a string, { next: 5 }) is refused here, not when the first
    // value arrives (RxJS ignores a non-function and would call a non-function `next` later).
    if (observerOrNext !== undefined && observerOrNext !== null && typeof observerOrNext !== "function") {
      const bad = typeof observerOrNext !== "object"
        ? describeValue(observerOrNext)
        : (["next", "error", "complete"] as const).filter((k) => (observerOrNext as Record<string, unknown>)[k] !== undefined && typeof (observerOrNext as Record<string, unknown>)[k] !== "function").map((k) => `${k}: ${describeValue((observerOrNext as Record<string, unknown>)[k])}`).join(", ");
      if (bad) throw new ValueError(`${this.describeStream()}: subscribe expects a function or an observer { next?, error?, complete? } of functions, got ${typeof observerOrNext === "object" ? `{ ${bad} }` : bad}`);
    }
    const o: Partial<Observer<T>> = typeof observerOrNext === "function" ? { next: observerOrNext } : observerOrNext ?? {};
    const guard = (f: () => void): void => {
      try {
        f();
      } catch (e) {
        this.report(this.describeStream(), e);
      }
    };
    return super.subscribe({
      next: (v) => guard(() => o.next?.call(o, v)),
      // An error notification nobody handles (an operator threw) is reported, not rethrown.
      error: (e) => (o.error ? guard(() => o.error!.call(o, e)) : this.report(this.describeStream(), e)),
      complete: () => guard(() => o.complete?.call(o)),
    });
  }
}

const consoleReport: Report = (stream, error) => console.error(`kiln: a subscriber of ${typeof stream === "string" ? stream : describeValue(stream)} threw (the State and its commit are intact):`, error);

const errorSubject = new Subject<StateStreamError>();

/**
 * Errors thrown by subscribers of State streams (`value$`, `states$`). While this stream has a
 * subscriber, errors are sent here; otherwise they are printed with `console.error`. Either way
 * the State keeps its committed value and its stream keeps emitting.
 * @example
 * stateStreamErrors$.subscribe(({ stream, error }) => log.warn(stream, error));
 * loss.value$.subscribe(() => { throw new Error("bad logger"); }); // reported, training goes on
 */
export const stateStreamErrors$: Observable<StateStreamError> = new GuardedStream<StateStreamError>(
  () => "stateStreamErrors$",
  consoleReport,
  (subscriber) => errorSubject.subscribe(subscriber),
);

/**
 * Reports an error thrown by a subscriber of `stream` (see `stateStreamErrors$`).
 * @example reportStateStreamError('State "loss"', new Error("bad logger"))
 */
export function reportStateStreamError(stream: string, error: unknown): void {
  // A reporter must not throw over a careless name (a Symbol in a template literal would).
  if (typeof stream !== "string") stream = describeValue(stream);
  if (errorSubject.observed) errorSubject.next({ stream, error });
  else consoleReport(stream, error);
}

/**
 * `source` as a guarded stream named by `describeStream()` (called only when an error is reported).
 * @example const value$ = guardedStream(subject, () => state.describe());
 */
export function guardedStream<T>(source: Observable<T>, describeStream: () => string): Observable<T> {
  return new GuardedStream<T>(describeStream, reportStateStreamError, (subscriber) => source.subscribe(subscriber));
}
