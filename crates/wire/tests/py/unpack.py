#!/usr/bin/env python3
"""Unpack a DIDComm v1 (JWM/1.0) envelope with PyNaCl, independently of tmtm-wire.

Implements sirius-protocol.md section 2.4. Used by crates/wire/tests/python_crosscheck.rs.

usage: unpack.py SEED_HEX < envelope.json
prints one JSON line: {"plaintext_b64": ..., "sender": <base58 or null>, "recipient": <base58>}
Exit status 2 on any failure (message on stderr).
"""
import base64
import json
import sys

from nacl import bindings as sodium

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    text = ""
    while number:
        number, rem = divmod(number, 58)
        text = ALPHABET[rem] + text
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + text


def b58decode(text: str) -> bytes:
    number = 0
    for char in text:
        number = number * 58 + ALPHABET.index(char)
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    zeros = len(text) - len(text.lstrip("1"))
    return b"\0" * zeros + body


def b64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def unpack(envelope: bytes, seed: bytes) -> dict:
    my_pk, my_sk = sodium.crypto_sign_seed_keypair(seed)
    my_x_pk = sodium.crypto_sign_ed25519_pk_to_curve25519(my_pk)
    my_x_sk = sodium.crypto_sign_ed25519_sk_to_curve25519(my_sk)
    my_kid = b58encode(my_pk)

    outer = json.loads(envelope)
    protected = outer["protected"]
    header = json.loads(b64u(protected))
    if header["alg"] not in ("Authcrypt", "Anoncrypt"):
        raise ValueError("unsupported alg %r" % header["alg"])
    entry = next(r for r in header["recipients"] if r["header"]["kid"] == my_kid)
    sender_field = entry["header"].get("sender")
    iv_field = entry["header"].get("iv")
    encrypted_key = b64u(entry["encrypted_key"])
    if sender_field and iv_field:
        sender_vk = sodium.crypto_box_seal_open(b64u(sender_field), my_x_pk, my_x_sk).decode("ascii")
        sender_x_pk = sodium.crypto_sign_ed25519_pk_to_curve25519(b58decode(sender_vk))
        cek = sodium.crypto_box_open(encrypted_key, b64u(iv_field), sender_x_pk, my_x_sk)
    else:
        if header["alg"] == "Authcrypt":
            raise ValueError("authcrypt without sender")
        sender_vk = None
        cek = sodium.crypto_box_seal_open(encrypted_key, my_x_pk, my_x_sk)
    sealed = b64u(outer["ciphertext"]) + b64u(outer["tag"])
    plaintext = sodium.crypto_aead_chacha20poly1305_ietf_decrypt(
        sealed, protected.encode("ascii"), b64u(outer["iv"]), cek
    )
    return {
        "plaintext_b64": base64.b64encode(plaintext).decode("ascii"),
        "sender": sender_vk,
        "recipient": my_kid,
    }


def main() -> int:
    try:
        seed = bytes.fromhex(sys.argv[1])
        print(json.dumps(unpack(sys.stdin.buffer.read(), seed)))
        return 0
    except Exception as exc:  # report any failure to the Rust test
        print("unpack.py: %s: %s" % (type(exc).__name__, exc), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
