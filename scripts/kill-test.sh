#!/usr/bin/env bash
# The large kill test of the durable store (issue 12): a writer process inserting and removing
# in batches is SIGKILLed at N random instants (default 200); after each kill the store is
# reopened and must hold every acknowledged batch (plus at most the one in flight), with no
# failed open and no leftover files. The small run (20 kills) is part of `cargo test`.
#
# Usage: scripts/kill-test.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-200}"
MM_KILL_CYCLES="$N" cargo test --test lib db::store::kill_test_acknowledged_changes_survive \
  -- --exact --nocapture 2>&1 | grep -E "kill test:|test result|panicked|failed"
