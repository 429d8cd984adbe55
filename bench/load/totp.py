"""The current TOTP code of a bureau account, for bench/load.sh to sign it in.

    python3 bench/load/totp.py KEY_FILE SEALED_SECRET

SEALED_SECRET is the account's `users.totp_secret` column (`<key id>:<base64 of nonce
and AES-256-GCM ciphertext>`), KEY_FILE the server's personal-data key file
(`security.key_file`) that sealed it. `serve` prints the demo's secrets only when it has
just loaded the demo into a new SQLite database; opening the column with the key file
works on PostgreSQL too. Needs python3-cryptography.
"""

import base64
import hashlib
import hmac
import struct
import sys
import time
import tomllib

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def secret(key_file, sealed):
    with open(key_file, "rb") as f:
        keys = tomllib.load(f)["keys"]
    key_id, body = sealed.split(":", 1)
    raw = base64.b64decode(body)
    return AESGCM(base64.b64decode(keys[key_id])).decrypt(raw[:12], raw[12:], None).decode()


def code(secret_b32, now):
    key = base64.b32decode(secret_b32.upper() + "=" * (-len(secret_b32) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(now) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000)


if __name__ == "__main__":
    print(code(secret(sys.argv[1], sys.argv[2].strip()), time.time()))
