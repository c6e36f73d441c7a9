#!/usr/bin/env python3
"""A node's identity, checked by an implementation that is not ours (SPEC §3).

The expected node id is computed here with the `cryptography` package (OpenSSL underneath, but
none of NeuroShard's code): private key = SHA-256(token) as a secp256k1 scalar, node_id = first
32 hex characters of SHA-256(33-byte compressed public key). A 12-word BIP39 phrase stands for
the token hex(first 32 bytes of PBKDF2-HMAC-SHA512(phrase, "mnemonic", 2048)), computed with
hashlib. Then real nodes are started with those tokens and asked who they are: the ready line,
GET /api/v1/status (node_id) and GET /api/v1/wallet/balance (address) must all agree.

Usage: identity_check.py PATH_TO_NEUROSHARD (CLITests/IdentityCrossCheckTests runs it).
Prints OK and exits 0 when every check passed.
"""
import hashlib
import os
import shutil
import sys
import tempfile
import unittest

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

import live_node

BINARY = None
# secp256k1's generator, compressed (SEC 2, §2.4.1): the known answer for the scalar 1.
GENERATOR = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
# The group order n: a scalar must be in 1..n-1.
ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def compressed_public_key(scalar):
    key = ec.derive_private_key(scalar, ec.SECP256K1())
    return key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)


def expected_node_id(token):
    secret = hashlib.sha256(token.encode("utf-8")).digest()
    scalar = int.from_bytes(secret, "big")
    assert 1 <= scalar < ORDER, "SHA-256 of the token is not a valid scalar (chance 2^-128)"
    return hashlib.sha256(compressed_public_key(scalar)).hexdigest()[:32]


def phrase_token(phrase):
    words = " ".join(phrase.split())
    seed = hashlib.pbkdf2_hmac("sha512", words.encode("utf-8"), b"mnemonic", 2048)
    return seed[:32].hex()


class Node(live_node.Node):
    """A node on a data folder of its own, removed when it stops."""

    def __init__(self, token):
        self.folder = tempfile.mkdtemp(prefix="neuroshard-identity-")
        super().__init__(BINARY, token, "--data-dir", os.path.join(self.folder, "data"), "--no-training", "--memory", "1.6")

    def get(self, path, bearer):
        response = requests.get(self.http + path, headers={"Authorization": b"Bearer " + bearer.encode("utf-8")}, timeout=10)
        assert response.status_code == 200, f"{path}: {response.status_code} {response.text}"
        return response.json()

    def stop(self):
        status = super().stop()
        shutil.rmtree(self.folder, ignore_errors=True)
        return status


class IdentityTest(unittest.TestCase):
    def test_the_reference_implementation_is_secp256k1_with_compressed_points(self):
        # Guards the check itself: the right curve, the right encoding, the right hash.
        self.assertEqual(compressed_public_key(1).hex(), GENERATOR)
        self.assertEqual(len(expected_node_id("x")), 32)
        self.assertNotEqual(expected_node_id("a"), expected_node_id("b"))
        self.assertEqual(hashlib.sha256(b"abc").hexdigest()[:8], "ba7816bf")

    def check(self, token, bearer=None):
        """Starts a node with `token`; its id must be `expected_node_id(bearer or token)`."""
        bearer = bearer or token
        expected = expected_node_id(bearer)
        node = Node(token)
        try:
            self.assertEqual(node.id, expected, f"ready line of --token {token!r}")
            self.assertEqual(node.get("/api/v1/status", bearer)["node_id"], expected, f"status of --token {token!r}")
            self.assertEqual(node.get("/api/v1/wallet/balance", bearer)["address"], expected,
                             f"wallet address of --token {token!r}")
        finally:
            node.stop()

    def test_a_plain_token(self):
        self.check("python-identity-token")

    def test_a_64_hex_token_is_hashed_as_text(self):
        # SPEC §3: SHA-256 of the token as given, also when it looks like a key already.
        self.check(hashlib.sha256(b"a 64-hex token").hexdigest())

    def test_a_unicode_token_is_hashed_as_utf8(self):
        self.check("clé-été-🔑")

    def test_a_bip39_phrase(self):
        phrase = "legal winner thank year wave sausage worth useful legal winner thank yellow"
        token = phrase_token(phrase)
        self.assertEqual(len(token), 64)
        self.assertNotEqual(expected_node_id(token), expected_node_id(phrase))
        # The node is started with the phrase; its operator token (the bearer) is the phrase's token.
        self.check(phrase, bearer=token)

    def test_another_bip39_phrase_with_uneven_spacing(self):
        # Words are split on any whitespace: the seed is of the words joined by single spaces.
        phrase = "letter advice cage absurd amount doctor acoustic avoid letter advice cage above"
        self.check(phrase.replace(" ", "  ", 3), bearer=phrase_token(phrase))


if __name__ == "__main__":
    BINARY = sys.argv.pop(1)
    result = unittest.main(exit=False, verbosity=2).result
    ok = result.wasSuccessful() and result.testsRun > 0
    print("identity cross-check passed" if ok else "identity cross-check FAILED")
    sys.exit(0 if ok else 1)
