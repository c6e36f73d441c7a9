// OpenSSL's libcrypto (Debian: libssl-dev, installed by scripts/setup.sh): SHA-256, HMAC and
// PBKDF2. Signatures are libsecp256k1's (CSecp256k1).
#include <openssl/evp.h>
#include <openssl/hmac.h>
