#!/usr/bin/env bash
# A fresh machine to a running local stack in one command: install what is missing, then `dormer up`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec cli/bin/dormer up --stack local
