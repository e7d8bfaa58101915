#!/usr/bin/env bash
# The README's first command: install what is needed, build, and start the agent in the
# foreground on its embedded default (UDP 127.0.0.1:8125, 10 s flush, console output).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
if [ ! -x ./tally ] || [ ! -f Makefile ]; then
	./autogen.sh
	./configure
fi
make -j"$(nproc)"
exec ./tally run "$@"
