// OpenBLAS's CBLAS interface (Debian: libopenblas-dev, installed by scripts/setup.sh).
#include <cblas.h>
