"""Schemathesis hooks and checks for .ci/contract.sh: a fresh Idempotency-Key per write,
and the peer_isolation check of the officer's and the responsible person's runs (below).

A well-formed `Idempotency-Key` is replaced by a fresh UUID before each request, as the
spec asks of a client ("a fresh UUID per write, the same on every retry of it"). The
generator draws keys from the header's schema, and the same drawn key on two different
requests is answered 422 `idempotency_key_reused`, which the spec documents; that is the
server keeping its promise, not schema-valid data being refused, and no JSON Schema can
say "unique per request". Only positive cases are changed: a negative case is left as
generated (a missing or malformed key still tests 428 and the header's validation), and
editing one would make schemathesis revalidate it as positive and send the header it
meant to leave out.
"""

import json
import os
import re
import threading
import uuid
from urllib.parse import urlsplit, urlunsplit

import requests
import schemathesis

KEY = re.compile(r"[!-~]{8,128}")  # KEY_PATTERN in api/src/http/idempotency.rs


@schemathesis.hook
def before_call(context, case, kwargs):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == "idempotency-key" and isinstance(headers[name], str) and KEY.fullmatch(headers[name]):
            headers[name] = str(uuid.uuid4())


# The peer (CONTRACT_PEER_TOKEN): for the officer's run an officer of another enterprise,
# for the responsible person's another responsible person of the same enterprise, to whom
# none of the caller's findings is assigned. Whatever the caller reaches by id on a path
# of CONTRACT_PEER_PATHS (a regex; the officer: all of /mp/, the responsible person:
# findings and their photos, as the rest of the enterprise's data is shared by its staff),
# the peer must not: every 2xx the caller gets on such a path that names an object is sent
# again, same method and body, with the peer's token (and a fresh Idempotency-Key), and
# must be 404, the answer for an object outside the caller's scope. An object the caller
# creates (a 2xx POST to a collection with an `id` in the answer) is read back by the peer,
# which must be 404 too. Each probe is one line in CONTRACT_PEER_LOG, which the verdict
# counts.
PEER_TOKEN = os.environ.get("CONTRACT_PEER_TOKEN")
PEER_LOG = os.environ.get("CONTRACT_PEER_LOG")
PEER_PATHS = re.compile(os.environ.get("CONTRACT_PEER_PATHS") or r"^/mp/")
# A POST to the collection -> where the peer reads what it made.
CREATED = {
    "/mp/findings": "/mp/findings/{}",
    "/mp/inspections": "/mp/inspections/{}",
    "/mp/evidence": "/mp/evidence/{}",
    "/mp/recommendations": "/mp/recommendations/{}",
}
# Not replayed: transport headers requests sets again, and the caller's own credentials.
DROPPED = {"authorization", "cookie", "content-length", "host", "idempotency-key"}
_log_lock = threading.Lock()


def _as_peer(method, url, headers, body):
    sent = {k: v for k, v in headers.items() if k.lower() not in DROPPED}
    sent["Authorization"] = f"Bearer {PEER_TOKEN}"
    if method != "GET":
        sent["Idempotency-Key"] = str(uuid.uuid4())
    answer = requests.request(method, url, headers=sent, data=body, timeout=30, allow_redirects=False)
    if PEER_LOG:
        with _log_lock, open(PEER_LOG, "a") as log:
            log.write(f"{answer.status_code} {method} {urlsplit(url).path}\n")
    return answer


@schemathesis.check
def peer_isolation(ctx, response, case):
    """The peer never reads or changes what the caller reached by id."""
    if not PEER_TOKEN or not 200 <= response.status_code < 300 or not PEER_PATHS.search(case.path):
        return
    sent = response.request
    probes = []
    if "{" in case.path:
        probes.append((sent.method, sent.url, sent.body))
    elif sent.method == "POST" and case.path in CREATED:
        try:
            made = json.loads(response.content)
        except ValueError:
            made = None
        if isinstance(made, dict) and isinstance(made.get("id"), int):
            parts = urlsplit(sent.url)
            url = urlunsplit((parts.scheme, parts.netloc, CREATED[case.path].format(made["id"]), "", ""))
            probes.append(("GET", url, None))
    for method, url, body in probes:
        headers = dict(sent.headers) if method == sent.method else {}
        answer = _as_peer(method, url, headers, body)
        if answer.status_code != 404:
            kind = answer.headers.get("content-type", "")
            shown = answer.text[:300] if "json" in kind or kind.startswith("text/") else f"{len(answer.content)} bytes of {kind}"
            raise AssertionError(
                f"The caller's {sent.method} {urlsplit(sent.url).path} was {response.status_code}; the peer got "
                f"{answer.status_code} (not 404) for {method} {urlsplit(url).path}: {shown}"
            )
