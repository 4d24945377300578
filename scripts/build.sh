#!/bin/sh
# Configure and build in the source tree (warnings are errors).
# Extra arguments go to ./configure.
set -eu
cd "$(dirname "$0")/.."
./autogen.sh >/dev/null
if [ ! -f Makefile ] || [ configure -nt config.status ] || [ $# -gt 0 ]; then
	./configure --enable-werror "$@"
fi
make -j"$(nproc)"
