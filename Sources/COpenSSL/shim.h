// OpenSSL's libcrypto (Debian: libssl-dev, installed by scripts/setup.sh): digests, and secp256k1
// signatures for node identities.
// OpenSSL 3.0 deprecates EC_KEY/ECDSA_*, but its EVP signing has no deterministic-nonce switch
// (that arrived in 3.2), so Identity signs with the low-level API and an RFC 6979 nonce.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/obj_mac.h>
