/**
 * Guards on an HTTP answer's body, applied by http.ts to every response.
 *
 * - Errors name the remote and the fault. A body that fails mid-stream (the
 *   server closed the connection, a deadline fired) reaches the caller as a
 *   RemoteError "backupd http://…: connection closed by the server" instead
 *   of undici's bare "other side closed" (which main.ts would report as an
 *   internal error).
 * - A speed floor, like curl's --speed-limit/--speed-time. undici's
 *   bodyTimeout measures silence only, so a server that sends one byte every
 *   few seconds held a command forever (the fault matrix's "slow body").
 *   Fewer than `bytes` arriving within a `windowMs` window abandons the body,
 *   unless we are the ones holding it back (the consumer has not read what
 *   already arrived: then the server is not at fault).
 */
import type { Readable } from "node:stream";
import { RemoteError } from "./errors";

export interface MinSpeed {
  bytes: number;
  windowMs: number;
}

/** 1 KiB per minute: far below any working link, far above a trickle. */
export const DEFAULT_MIN_SPEED: MinSpeed = { bytes: 1024, windowMs: 60_000 };

export function guardBody(
  body: Readable,
  name: string,
  describe: (e: unknown) => string,
  minSpeed: MinSpeed | false,
): void {
  // undici ends a body by calling destroy(err): name the fault there, once, for every consumer.
  const destroy = body.destroy.bind(body);
  body.destroy = ((err?: Error) =>
    destroy(err && !(err instanceof RemoteError) ? new RemoteError(`${name}: ${describe(err)}`, { cause: err }) : err)) as typeof body.destroy;
  if (!minSpeed) return;
  let arrived = 0;
  // Counted on push (arrival), not on 'data' (consumption): a listener would start the flow early.
  const push = body.push.bind(body);
  body.push = (chunk: unknown, encoding?: BufferEncoding) => {
    if (chunk === null) stop(); // everything arrived: what the consumer does with it is not the server's speed
    else if (typeof (chunk as Uint8Array).length === "number") arrived += (chunk as Uint8Array).length;
    return push(chunk, encoding);
  };
  const timer = setInterval(() => {
    const heldBack = body.readableLength >= body.readableHighWaterMark;
    if (arrived < minSpeed.bytes && !heldBack && !body.destroyed) {
      body.destroy(
        new RemoteError(`${name}: answer too slow (under ${minSpeed.bytes} bytes in ${minSpeed.windowMs / 1000} s)`),
      );
    }
    arrived = 0;
  }, minSpeed.windowMs);
  // The socket keeps the process alive while the body streams; the timer alone must not.
  timer.unref?.();
  body.once("close", stop);
  function stop() {
    clearInterval(timer);
  }
}
