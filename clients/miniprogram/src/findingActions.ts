// The body of `POST /mp/findings/{id}/actions`, one shape per action, as the server reads
// it (engine/src/findings/model.rs `Action`, checked in api/src/findings/act.rs; the state
// table is engine/src/findings/TABLE.md). The spec publishes `ActRequest` as a bare
// `type: object` (see SPEC_NOTES.md), so the loop writes the shapes here and hands them to
// the generated `ActRequest`; once the spec describes the union, that hand-off is checked.

/** A calendar day, `YYYY-MM-DD` (China time on the server). */
export type Day = string;

/** The 五落实 plan a major hazard (or a plan-required library item) needs at assignment. */
export interface Plan {
  responsibility: string;
  measures: string;
  /** In fen (分). */
  funds_fen: number;
  deadline: Day;
  contingency: string;
}

type Body =
  | { action: "submit" }
  | { action: "assign"; assignee: number; deadline?: Day; plan?: Plan }
  | { action: "submit_rectification"; note: string; evidence_ids: number[] }
  | { action: "accept"; note?: string }
  | { action: "reject"; reason: string }
  | { action: "request_extension"; deadline: Day; reason: string }
  | { action: "approve_extension"; note?: string }
  | { action: "refuse_extension"; reason: string }
  | { action: "cancel"; reason: string }
  | { action: "reopen"; reason: string; deadline?: Day };

/** One step with the finding `version` the caller read (a stale one is 409 `version_conflict`). */
export type FindingAction = Body & { version: number };

/** `YYYY-MM-DD` of today plus `days`, in China time (UTC+8), as the server counts deadlines. */
export function dayFromNow(days: number): Day {
  const chinaNow = new Date(Date.now() + 8 * 3600 * 1000);
  chinaNow.setUTCDate(chinaNow.getUTCDate() + days);
  return chinaNow.toISOString().slice(0, 10);
}
