"""Schemathesis hooks for .ci/contract.sh.

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

import re
import uuid

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
