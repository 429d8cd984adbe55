"""Data for the responsible person's contract run (.ci/contract.sh).

    python3 .ci/contract_setup.py BASE_URL OFFICER_TOKEN RESPONSIBLE_TOKEN

The demo city has no findings, so a responsible person's run would only ever meet empty
lists and 404s. As the demo officer this starts an inspection of a fresh recommendation
round and reports three findings on it: two assigned to the responsible person (one to
rectify, one they can read back), one left unassigned (which, by id, is not theirs to
read). Prints the ids it made. Standard library only.
"""

import datetime
import json
import sys
import urllib.request
import uuid


def call(base, token, method, path, body=None, write=False):
    headers = {"Authorization": f"Bearer {token}"}
    data = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        data = json.dumps(body).encode()
    if write:
        headers["Idempotency-Key"] = str(uuid.uuid4())
    request = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.load(answer)
    except urllib.error.HTTPError as e:
        sys.exit(f"contract setup: {method} {path} answered {e.code}: {e.read()[:400]!r}")


def main(base, officer, responsible):
    rp = call(base, responsible, "GET", "/auth/me")["user_id"]
    round_ = call(base, officer, "POST", "/mp/recommendations", write=True)
    inspection = call(
        base, officer, "POST", "/mp/inspections",
        {"client_id": str(uuid.uuid4()), "recommendation_round_id": round_["id"]}, write=True,
    )["id"]
    items = call(base, officer, "GET", f"/mp/inspections/{inspection}?page=1&per_page=3")["items"]
    if len(items) < 3:
        sys.exit(f"contract setup: inspection {inspection} has {len(items)} items, 3 needed")
    deadline = (datetime.date.today() + datetime.timedelta(days=14)).isoformat()
    made = []
    for n, item in enumerate(items):
        finding = call(
            base, officer, "POST", "/mp/findings",
            {
                "client_id": str(uuid.uuid4()),
                "inspection_item_id": item["id"],
                "location": f"二车间 {n + 1}号生产线",
                "description": "合同测试用隐患",
                "submit": True,
            },
            write=True,
        )
        if n < 2:
            # The 五落实 plan: a major hazard or a plan-required item needs it at assignment.
            finding = call(
                base, officer, "POST", f"/mp/findings/{finding['id']}/actions",
                {
                    "version": finding["version"],
                    "action": "assign",
                    "assignee": rp,
                    "deadline": deadline,
                    "plan": {
                        "responsibility": "设备部 安全员",
                        "measures": "按标准整改并复查",
                        "funds_fen": 500000,
                        "deadline": deadline,
                        "contingency": "整改完成前停用并设警示",
                    },
                },
                write=True,
            )
        made.append(f"{finding['id']} ({finding['state']})")
    print(f"contract setup: inspection {inspection}; findings {', '.join(made)}; responsible person user {rp}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
