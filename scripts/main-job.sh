#!/bin/sh
# The README's main job: install what is needed, build, boot the testbed
# VM and run a complete nested session in it (examples/nested-session.sh),
# printing nestctl's JSON.  --full (or NESTIOMMU_FULL=1) prints every
# decoded ID register field instead of one line of feature names.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
sh scripts/build.sh
exec sh tests/nested-session-vm.sh "$@"
