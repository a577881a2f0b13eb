/**
 * Replay and duplicate protection of `POST /send`, in a Durable Object
 * (binding `EMAIL_NONCE_DEDUP`, class {@link EmailDedup}). Workers KV cannot
 * do this: its get-then-put is two steps and eventually consistent. One object
 * runs its events one at a time, and its input gates keep other events out
 * while a storage call is pending, so a get followed by a put with no other
 * I/O between them is one atomic step (of 20 concurrent copies of a request,
 * exactly one sees its nonce as new: tests/email_worker_test.ts).
 *
 * The same class holds two kinds of entry, in separate objects:
 * - `nonce:<h>` objects: `n:<sha256(nonce)>`, kept 10 minutes (twice the
 *   300 s timestamp window, so a nonce is never forgotten while its request
 *   could still pass the window);
 * - `id:<h>` objects: `m:<message id>`, "sending" while a send is in flight
 *   (a lease, so a crashed send does not block the id forever), then "sent"
 *   for 24 hours, or deleted when the provider did not take the mail.
 * `<h>` is the first hex digit of the SHA-256 of the nonce or id: 16 objects
 * of each kind share the load, and one key always lands in the same object.
 *
 * Entries past their time count as absent when read, and an alarm deletes
 * them in batches, so storage holds at most what arrived in the last TTL.
 */
import { encodeHex } from "../../lib/signatures/hex.ts";
import type { DedupStorage, DurableObjectNamespaceLike, DurableObjectStateLike } from "./env.ts";

/** How long a nonce is remembered. */
export const NONCE_TTL_MS = 10 * 60 * 1000;
/** How long a sent message id answers `duplicate`. */
export const SENT_TTL_MS = 24 * 60 * 60 * 1000;
/**
 * The sweep runs this long after the earliest expiry, so one alarm deletes a
 * minute's worth of entries rather than waking once per entry.
 */
export const SWEEP_DELAY_MS = 60 * 1000;

/** A stored entry: what it marks and until when (Unix ms). */
export interface DedupEntry {
  kind: "nonce" | "sending" | "sent";
  until: number;
  /** For `sending`: whose claim it is, so a late release cannot free another request's claim. */
  claim?: string;
}

/** What the worker asks an object. */
export type DedupCommand =
  | { op: "nonce"; hash: string }
  | { op: "claim"; id: string; claim: string; leaseMs: number }
  | { op: "sent"; id: string }
  | { op: "release"; id: string; claim: string };

/**
 * The answer: `ok` is "fresh nonce" for `nonce`, "claimed" for `claim`,
 * always true otherwise. A refused claim says why: the id was `sent`, or is
 * being sent (`sending`) by a request whose lease has not run out.
 */
export interface DedupAnswer {
  ok: boolean;
  held?: "sent" | "sending";
}

async function live(storage: DedupStorage, key: string, now: number) {
  const entry = await storage.get<DedupEntry>(key);
  return entry && entry.until > now ? entry : undefined;
}

async function record(storage: DedupStorage, key: string, entry: DedupEntry): Promise<void> {
  await storage.put(key, entry);
  const alarm = await storage.getAlarm();
  const sweepAt = entry.until + SWEEP_DELAY_MS;
  if (alarm === null || alarm > sweepAt) await storage.setAlarm(sweepAt);
}

/**
 * Runs one command against an object's storage at `now` (Unix ms). Each
 * command is a get then at most a put: atomic under the object's input gate.
 */
export async function runDedupCommand(
  storage: DedupStorage,
  command: DedupCommand,
  now: number,
): Promise<DedupAnswer> {
  switch (command.op) {
    case "nonce": {
      const key = `n:${command.hash}`;
      if (await live(storage, key, now)) return { ok: false };
      await record(storage, key, { kind: "nonce", until: now + NONCE_TTL_MS });
      return { ok: true };
    }
    case "claim": {
      const key = `m:${command.id}`;
      // Sent, or being sent by a request whose lease has not run out: not again now.
      const entry = await live(storage, key, now);
      if (entry) return { ok: false, held: entry.kind === "sent" ? "sent" : "sending" };
      await record(storage, key, {
        kind: "sending",
        until: now + command.leaseMs,
        claim: command.claim,
      });
      return { ok: true };
    }
    case "sent": {
      // Marked even if the lease ran out meanwhile: the mail did go out.
      await record(storage, `m:${command.id}`, { kind: "sent", until: now + SENT_TTL_MS });
      return { ok: true };
    }
    case "release": {
      const key = `m:${command.id}`;
      const entry = await storage.get<DedupEntry>(key);
      if (entry?.kind === "sending" && entry.claim === command.claim) await storage.delete([key]);
      return { ok: true };
    }
  }
}

/**
 * Deletes the entries past their time and schedules the next sweep for the
 * earliest one left. Returns how many were deleted.
 */
export async function sweepExpired(storage: DedupStorage, now: number): Promise<number> {
  const expired: string[] = [];
  let earliest = Infinity;
  for (const [key, entry] of await storage.list<DedupEntry>()) {
    if (entry.until <= now) expired.push(key);
    else earliest = Math.min(earliest, entry.until);
  }
  // Durable Object storage deletes at most 128 keys per call.
  for (let i = 0; i < expired.length; i += 128) await storage.delete(expired.slice(i, i + 128));
  if (earliest !== Infinity) await storage.setAlarm(earliest + SWEEP_DELAY_MS);
  return expired.length;
}

/** The Durable Object class behind `EMAIL_NONCE_DEDUP`. */
export class EmailDedup {
  readonly #storage: DedupStorage;

  constructor(state: DurableObjectStateLike, _env: unknown) {
    this.#storage = state.storage;
  }

  async fetch(request: Request): Promise<Response> {
    const command = await request.json() as DedupCommand;
    return Response.json(await runDedupCommand(this.#storage, command, Date.now()));
  }

  async alarm(): Promise<void> {
    await sweepExpired(this.#storage, Date.now());
  }
}

/** Lower-case hex SHA-256 of `value`'s UTF-8 bytes. */
export async function sha256Hex(value: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value));
  return encodeHex(new Uint8Array(digest));
}

/**
 * Sends `command` to the object that owns its key: `nonce:<h>` or `id:<h>`
 * with `<h>` the first hex digit of `keyHash`. Throws when the object fails;
 * the worker then answers 500 and sends nothing.
 */
export async function askDedup(
  namespace: DurableObjectNamespaceLike,
  keyHash: string,
  command: DedupCommand,
): Promise<DedupAnswer> {
  const kind = command.op === "nonce" ? "nonce" : "id";
  const stub = namespace.get(namespace.idFromName(`${kind}:${keyHash[0]}`));
  const response = await stub.fetch("https://email-dedup/", {
    method: "POST",
    body: JSON.stringify(command),
  });
  if (!response.ok) throw new Error(`dedup object answered ${response.status}`);
  return (await response.json()) as DedupAnswer;
}
