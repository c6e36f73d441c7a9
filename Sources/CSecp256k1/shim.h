// Bitcoin Core's libsecp256k1 (Debian: libsecp256k1-dev, installed by scripts/setup.sh): the
// secp256k1 signatures of node identities. Written for that one curve, it signs and verifies
// several times faster than OpenSSL's generic EC code.
#include <secp256k1.h>
