// A typed client per signed-in person, the Idempotency-Key every /mp write needs, and the
// one check every call goes through: the status the loop expects, or a clear failure.

import { randomUUID } from "node:crypto";
import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./schema.js";

export type Schemas = components["schemas"];
export type Api = Client<paths>;

/** An unsigned client: only sign-in is called through it. */
export function anonymous(baseUrl: string): Api {
  return createClient<paths>({ baseUrl });
}

/** A client that sends the person's access token with every request. */
export function signedIn(baseUrl: string, accessToken: string): Api {
  return createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${accessToken}` } });
}

/** The header of one /mp write: a fresh UUID (a phone sends the same one again on retry). */
export function write(): { "Idempotency-Key": string } {
  return { "Idempotency-Key": randomUUID() };
}

/** A step that got an answer the loop does not expect. */
export class UnexpectedAnswer extends Error {
  constructor(
    readonly step: string,
    readonly status: number,
    detail: string,
  ) {
    super(`${step}: HTTP ${status}${detail ? ` ${detail}` : ""}`);
    this.name = "UnexpectedAnswer";
  }
}

/** What openapi-fetch resolves to: the typed body of a success, or the typed error body. */
type Outcome<D, E> =
  | { data: D; error?: never; response: Response }
  | { data?: never; error: E; response: Response };

/**
 * The body of an answer with one of the `expected` statuses; anything else throws
 * `UnexpectedAnswer` naming the step, the status and the server's error code, message and
 * request id.
 */
export function expectStatus<D, E>(step: string, outcome: Outcome<D, E>, expected: readonly number[]): D {
  const { response } = outcome;
  if (expected.includes(response.status) && outcome.data !== undefined) {
    return outcome.data;
  }
  const detail = outcome.error !== undefined ? describe(outcome.error) : `(expected ${expected.join(" or ")})`;
  const requestId = response.headers.get("x-request-id");
  throw new UnexpectedAnswer(step, response.status, requestId ? `${detail} [request ${requestId}]` : detail);
}

/** `code: message` of the documented error body `{"error": {code, message, details}}`, else the raw body. */
function describe(body: unknown): string {
  if (typeof body === "object" && body !== null && "error" in body) {
    const inner: unknown = body.error;
    if (typeof inner === "object" && inner !== null && "code" in inner && "message" in inner) {
      const details = "details" in inner ? JSON.stringify(inner.details) : "";
      return `${String(inner.code)}: ${String(inner.message)}${details && details !== "{}" ? ` ${details}` : ""}`;
    }
  }
  return typeof body === "string" ? body.slice(0, 300) : JSON.stringify(body).slice(0, 300);
}
