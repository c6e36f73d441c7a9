# Cross-check vectors for IdentityTests, from pyca/cryptography (its own OpenSSL, RFC 6979 signing)
# and python-mnemonic. Run: venv/bin/python scripts/identity-vectors.py (needs: pip install cryptography mnemonic)
import hashlib
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from mnemonic import Mnemonic

N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

def key(secret: int):
    return ec.derive_private_key(secret, ec.SECP256K1())

def compressed(k):
    return k.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)

def sign(k, digest: bytes):
    der = k.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256()), deterministic_signing=True))
    r, s = utils.decode_dss_signature(der)
    return r, min(s, N - s), s > N // 2

print("# token -> pubkey, node_id; sign SHA-256(message)")
for token, message in [("alice", "hello"), ("node-0", "checkpoint 42"),
                       ("correct horse battery staple", ""), ("ünïcødé token", "Satoshi Nakamoto")]:
    secret = int.from_bytes(hashlib.sha256(token.encode()).digest(), "big")
    assert 0 < secret < N
    k = key(secret)
    pub = compressed(k)
    r, s, flipped = sign(k, hashlib.sha256(message.encode()).digest())
    print(repr(token), repr(message), pub.hex(), hashlib.sha256(pub).hexdigest()[:32],
          f"{r:064x}{s:064x}", "(high-S flipped)" if flipped else "")

print("# secret, digest -> signature")
for secret, digest in [(1, hashlib.sha256(b"Satoshi Nakamoto").digest()),
                       (N - 1, hashlib.sha256(b"Satoshi Nakamoto").digest()),
                       (1, hashlib.sha256(b"All those moments will be lost in time, like tears in rain. Time to die...").digest()),
                       (0x7, b"\xff" * 32)]:
    r, s, flipped = sign(key(secret), digest)
    print(hex(secret), digest.hex(), f"{r:064x}{s:064x}", "(high-S flipped)" if flipped else "")

print("# r = x(k*G) for the remembered RFC 6979 k values")
for k in [0x8F8A276C19F4149656B280621E358CCE24F5F52542772691EE69063B74F15D15,
          0x33A19B60E25FB6F4435AF53A3D42D493644827367E6453928554F43E49AA6F90,
          0x38AA22D72376B4DBC472E06C3BA403EE0A394DA63FC58D88686C611ABA98D6B3]:
    print(f"{k:064x}", f"{key(k).public_key().public_numbers().x % N:064x}")

print("# phrase -> token (empty passphrase)")
m = Mnemonic("english")
for phrase in ["abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
               "legal winner thank year wave sausage worth useful legal winner thank yellow",
               "vessel ladder alter error federal sibling chat ability sun glass valve picture"]:
    assert m.check(phrase)
    print(phrase, "->", m.to_seed(phrase, "")[:32].hex())

print("# RFC 6979 §3.2 candidates after the first (step h's retry), transcribed from the RFC")
import hmac
def candidates(x: int, h1: bytes, count: int):
    H = lambda key, data: hmac.new(key, data, hashlib.sha256).digest()
    xo, ho = x.to_bytes(32, "big"), (int.from_bytes(h1, "big") % N).to_bytes(32, "big")
    V, K = b"\x01" * 32, b"\x00" * 32
    K = H(K, V + b"\x00" + xo + ho); V = H(K, V)
    K = H(K, V + b"\x01" + xo + ho); V = H(K, V)
    out = []
    while len(out) < count:
        V = H(K, V)
        k = int.from_bytes(V, "big")
        if 1 <= k < N: out.append(f"{k:064x}")
        K = H(K, V + b"\x00"); V = H(K, V)
    return out
print(candidates(1, hashlib.sha256(b"Satoshi Nakamoto").digest(), 3))
