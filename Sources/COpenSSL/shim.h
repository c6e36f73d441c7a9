// OpenSSL's libcrypto (Debian: libssl-dev, installed by scripts/setup.sh): digests for now,
// secp256k1 signatures with node identities.
#include <openssl/evp.h>
