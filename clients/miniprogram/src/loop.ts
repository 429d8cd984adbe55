// The safety officer's self-inspection loop (智查自纠) over HTTP, typed against the
// client generated from openapi.yaml: sign in, a recommendation round paged through, an
// inspection of it, marks, a finding with a before-photo, assignment to a responsible
// person, their rectification with an after-photo, acceptance, the round closed, the
// report made and submitted to both bureaus. One line per step; any unexpected answer
// stops it with a non-zero exit.
//
//   node dist/loop.js [BASE_URL]        (default http://127.0.0.1:8080, the demo city)

import { randomUUID } from "node:crypto";
import { type Api, type Schemas, UnexpectedAnswer, anonymous, expectStatus, signedIn, write } from "./client.js";
import { type FindingAction, dayFromNow } from "./findingActions.js";
import { uploadFindingPhoto } from "./photo.js";

const OFFICER_CODE = "demo-officer-e01";
const RESPONSIBLE_CODE = "demo-rp-e01-1";
const ROUND_PAGE = 50;
const CHECKLIST_PAGE = 200;

let stepNo = 0;
function done(step: string, summary: string): void {
  stepNo += 1;
  console.log(`${String(stepNo).padStart(2, " ")}. ${step}: ${summary}`);
}

/** Signs in through the demo WeChat stand-in; the person's client and who they are. */
async function signIn(baseUrl: string, code: string): Promise<{ api: Api; me: Schemas["Me"] }> {
  const step = `sign in ${code}`;
  const pair = expectStatus(step, await anonymous(baseUrl).POST("/mp/auth/login", { body: { code } }), [200]);
  if (!pair.bound) throw new Error(`${step}: the account is not bound to an enterprise`);
  const api = signedIn(baseUrl, pair.access_token);
  const me = expectStatus(`${step} (who am I)`, await api.GET("/auth/me"), [200]);
  done(step, `user ${me.user_id} ${me.display_name} (${pair.role}), token for ${pair.expires_in} s`);
  return { api, me };
}

/** Every item of a recommendation round, page by page (`page`/`per_page` query). */
async function pageRound(api: Api, round: Schemas["Generated"]): Promise<Schemas["Item"][]> {
  const step = "page the round";
  const items: Schemas["Item"][] = [];
  let areas = 0;
  for (let page = 1; ; page++) {
    const res = await api.GET("/mp/recommendations/{id}", {
      params: { path: { id: round.id }, query: { page, per_page: ROUND_PAGE } },
    });
    const p = expectStatus(`${step} ${page}`, res, [200]);
    if (p.page !== page || p.per_page !== ROUND_PAGE) {
      throw new Error(`${step}: asked for page ${page} of ${ROUND_PAGE}, got page ${p.page} of ${p.per_page}`);
    }
    items.push(...p.items);
    areas = p.areas.length;
    if (p.items.length < ROUND_PAGE || items.length >= p.total) {
      if (items.length !== p.total || p.total !== round.item_count) {
        throw new Error(`${step}: ${items.length} items read, total ${p.total}, round made ${round.item_count}`);
      }
      const distinct = new Set(items.map((i) => i.recommendation_id)).size;
      if (distinct !== items.length) throw new Error(`${step}: an item on two pages`);
      done(step, `${items.length} items on ${page} pages of ${ROUND_PAGE}, ${areas} areas, first ${items[0]?.item_id} ${items[0]?.title}`);
      return items;
    }
  }
}

/** The inspection's checklist items (optionally those with one result), page by page. */
async function checklist(api: Api, step: string, inspection: number, result?: string): Promise<Schemas["ItemPage"]> {
  const items: Schemas["ItemView"][] = [];
  for (let page = 1; ; page++) {
    const query = result === undefined ? { page, per_page: CHECKLIST_PAGE } : { page, per_page: CHECKLIST_PAGE, result };
    const res = await api.GET("/mp/inspections/{id}", { params: { path: { id: inspection }, query } });
    const p = expectStatus(`${step} ${page}`, res, [200]);
    items.push(...p.items);
    if (p.items.length < CHECKLIST_PAGE || items.length >= p.total) return { ...p, items };
  }
}

/** One state-machine step of a finding, with the version the caller read. */
async function act(api: Api, step: string, finding: number, action: FindingAction): Promise<Schemas["FindingDetail"]> {
  const res = await api.POST("/mp/findings/{id}/actions", {
    params: { path: { id: finding }, header: write() },
    body: action,
  });
  return expectStatus(step, res, [200]);
}

function expectState(step: string, finding: Schemas["FindingDetail"], state: string): void {
  if (finding.state !== state) throw new Error(`${step}: finding ${finding.id} is ${finding.state}, expected ${state}`);
}

async function main(baseUrl: string): Promise<void> {
  console.log(`zhicha mini-program loop against ${baseUrl}`);
  const officer = await signIn(baseUrl, OFFICER_CODE);
  const mp = officer.api;

  // A recommendation round, paged through.
  let step = "recommendation round";
  const round = expectStatus(step, await mp.POST("/mp/recommendations", { params: { header: write() } }), [201]);
  done(step, `round ${round.id}: ${round.item_count} items (library ${round.library_version}, model ${round.model_version})`);
  const recommended = await pageRound(mp, round);

  // An inspection of it: the round's items become the checklist, in priority order.
  step = "start inspection";
  const started = expectStatus(
    step,
    await mp.POST("/mp/inspections", {
      params: { header: write() },
      body: { client_id: randomUUID(), recommendation_round_id: round.id },
    }),
    [201],
  );
  if (started.items.pending !== recommended.length) {
    throw new Error(`${step}: ${started.items.pending} items pending, the round has ${recommended.length}`);
  }
  done(step, `inspection ${started.id} (${started.kind}, ${started.status}), ${started.items.pending} items pending`);
  const inspection = started.id;
  const items = (await checklist(mp, "read checklist", inspection)).items;
  const first = items[0];
  if (first === undefined) throw new Error("read checklist: the checklist is empty");

  // A finding against the first item, submitted at once, with a before-photo.
  step = "report finding";
  const reported = expectStatus(
    step,
    await mp.POST("/mp/findings", {
      params: { header: write() },
      body: {
        client_id: randomUUID(),
        inspection_item_id: first.id,
        location: "二车间 3号生产线",
        description: `检查发现：${first.title ?? "隐患"}`,
        submit: true,
      },
    }),
    [201],
  );
  expectState(step, reported, "submitted");
  done(step, `finding ${reported.id} on ${reported.item_id} (${reported.grade}), ${reported.state}`);
  const finding = reported.id;
  step = "before-photo";
  const before = await uploadFindingPhoto(mp, step, finding, "before", 1);
  done(step, `evidence ${before.id} ${before.content_type} ${before.width}x${before.height}, sha256 ${before.sha256.slice(0, 12)}…`);

  // The rest of the checklist: one not applicable (with a reason), the others not found.
  step = "mark items";
  const pending = (await checklist(mp, "read pending items", inspection, "pending")).items;
  const marks = pending.map((item, n) =>
    n === 0
      ? { item_id: item.id, result: "not_applicable", reason: "本企业无此设备" }
      : { item_id: item.id, result: "not_found" },
  );
  let marked: Schemas["InspectionView"] | undefined;
  for (let at = 0; at < marks.length; at += 500) {
    const res = await mp.POST("/mp/inspections/{id}/marks", {
      params: { path: { id: inspection }, header: write() },
      body: { marks: marks.slice(at, at + 500) },
    });
    marked = expectStatus(step, res, [200]);
  }
  if (marked === undefined || marked.items.pending !== 0) {
    throw new Error(`${step}: ${marked?.items.pending ?? "?"} items still pending`);
  }
  const counts = marked.items;
  done(step, `${marks.length} marked; found ${counts.found}, not found ${counts.not_found}, not applicable ${counts.not_applicable}`);

  // Assign it to a responsible person of the enterprise.
  const responsible = await signIn(baseUrl, RESPONSIBLE_CODE);
  step = "people";
  const people = expectStatus(step, await mp.GET("/mp/people"), [200]);
  const assignee = people.items.find((p) => p.id === responsible.me.user_id);
  if (assignee === undefined || assignee.role !== "responsible_person") {
    throw new Error(`${step}: ${RESPONSIBLE_CODE} (user ${responsible.me.user_id}) is not a responsible person of the enterprise`);
  }
  done(step, `${people.items.length} people; assignee ${assignee.display_name} (user ${assignee.id})`);
  // A deadline of its own (the library item's default may be tomorrow), and the 五落实
  // plan, which a major hazard or a plan-required item needs and which must end by then.
  step = "assign";
  const deadline = dayFromNow(14);
  const assigned = await act(mp, step, finding, {
    version: reported.version,
    action: "assign",
    assignee: assignee.id,
    deadline,
    plan: {
      responsibility: "设备部 安全员",
      measures: "按标准整改并复查",
      funds_fen: 500_000,
      deadline,
      contingency: "整改完成前停用并设警示",
    },
  });
  expectState(step, assigned, "to_rectify");
  done(step, `to ${assigned.rectification?.assignee_id}, deadline ${assigned.rectification?.deadline}, ${assigned.state}`);

  // The responsible person rectifies it with an after-photo.
  const rp = responsible.api;
  step = "rectifier reads it";
  const mine = expectStatus(step, await rp.GET("/mp/findings/{id}", { params: { path: { id: finding } } }), [200]);
  done(step, `finding ${mine.id} version ${mine.version}, ${mine.state}`);
  step = "after-photo";
  const after = await uploadFindingPhoto(rp, step, finding, "after", 2);
  done(step, `evidence ${after.id} by user ${after.uploaded_by}`);
  step = "submit rectification";
  const rectified = await act(rp, step, finding, {
    version: mine.version,
    action: "submit_rectification",
    note: "已按要求整改完毕",
    evidence_ids: [after.id],
  });
  expectState(step, rectified, "rectification_submitted");
  done(step, `${rectified.state}, ${rectified.photos.length} photos on record`);

  // The officer accepts it (销号).
  step = "accept";
  const accepted = await act(mp, step, finding, { version: rectified.version, action: "accept", note: "验收合格" });
  expectState(step, accepted, "accepted");
  done(step, `${accepted.state} by user ${accepted.rectification?.accepted_by}; history ${accepted.history.map((h) => h.action ?? h.to_state).join(" → ")}`);

  // Close the round with the version it has now.
  step = "close inspection";
  const now = expectStatus(
    step,
    await mp.GET("/mp/inspections/{id}", { params: { path: { id: inspection }, query: { per_page: 1 } } }),
    [200],
  );
  const closed = expectStatus(
    step,
    await mp.POST("/mp/inspections/{id}/close", {
      params: { path: { id: inspection }, header: write() },
      body: { version: now.inspection.version },
    }),
    [200],
  );
  if (closed.status !== "closed") throw new Error(`${step}: inspection ${closed.id} is ${closed.status}`);
  done(step, `inspection ${closed.id} ${closed.status} at ${closed.closed_at}, ${closed.findings} finding(s)`);

  // The report: made from the closed round, then sent to both bureaus of the city.
  step = "make report";
  const report = expectStatus(
    step,
    await mp.POST("/mp/inspections/{id}/report", { params: { path: { id: inspection }, header: write() } }),
    [201, 200],
  );
  const c = report.content;
  done(
    step,
    `report ${report.id} v${report.version} ${report.status}: ${c.items.total} items, ${c.findings.total} finding(s), ` +
      `rectified ${c.rectification.rectified}/${c.rectification.found}, pdf ${report.pdf_sha256?.slice(0, 12) ?? "none"}…`,
  );
  step = "submit report";
  const submitted = expectStatus(
    step,
    await mp.POST("/mp/reports/{id}/submit", { params: { path: { id: report.id }, header: write() } }),
    [200],
  );
  if (submitted.status !== "submitted" || submitted.receipts.length !== 2) {
    throw new Error(`${step}: report ${submitted.id} is ${submitted.status} with ${submitted.receipts.length} receipt(s)`);
  }
  done(step, `${submitted.status} at ${submitted.submitted_at}; ${submitted.receipts.map((r) => `${r.organisation_name} (${r.organisation_kind}) ${r.status}`).join(", ")}`);

  console.log(`loop complete: ${stepNo} steps, inspection ${inspection}, finding ${finding}, report ${report.id}`);
}

const baseUrl = (process.argv[2] ?? "http://127.0.0.1:8080").replace(/\/+$/, "");
main(baseUrl).catch((err: unknown) => {
  if (err instanceof UnexpectedAnswer) {
    console.error(`FAILED at step ${stepNo + 1}, ${err.message}`);
  } else if (err instanceof Error) {
    const cause = err.cause instanceof Error ? ` (${err.cause.message})` : "";
    console.error(`FAILED at step ${stepNo + 1}: ${err.message}${cause}`);
  } else {
    console.error(`FAILED at step ${stepNo + 1}: ${String(err)}`);
  }
  process.exit(1);
});
