#!/usr/bin/env bash
# Drives disburse-sandbox through its control endpoints with bash and curl alone, and the
# disburse CLI through the variables the sandbox prints:
#   1. inject a fault: Vesicash's payout call is committed, then the connection drops;
#   2. `disburse payout` comes back OUTCOME UNKNOWN (Vesicash does not deduplicate, so it is not
#      re-sent);
#   3. the sandbox's ledger (GET /_sandbox/ledger?reference=…) shows the payout went through;
#   4. POST /_sandbox/settle makes it final, and `disburse status --id` reconciles it: succeeded.
# Exits non-zero at the first step that does not go as written.
#
#   scripts/sandbox-demo.sh    (builds the two binaries when target/debug lacks them)
# Override the binaries with DISBURSE_BIN and DISBURSE_SANDBOX_BIN.
set -euo pipefail
cd "$(dirname "$0")/.."

disburse="${DISBURSE_BIN:-target/debug/disburse}"
sandbox_bin="${DISBURSE_SANDBOX_BIN:-target/debug/disburse-sandbox}"
if [ ! -x "$disburse" ] || [ ! -x "$sandbox_bin" ]; then
    cargo build --quiet --features cli --bin disburse --bin disburse-sandbox
fi

work="$(mktemp -d)"
sandbox_pid=""
cleanup() {
    if [ -n "$sandbox_pid" ]; then
        kill "$sandbox_pid" 2>/dev/null || true
        wait "$sandbox_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "sandbox-demo: FAILED: $*" >&2
    exit 1
}
step() { echo "--- $*"; }

# An hour's settle delay: payouts stay pending until the control endpoint settles them.
"$sandbox_bin" --port 0 --settle-ms 3600000 > "$work/sandbox.env" &
sandbox_pid=$!
for _ in $(seq 1 600); do
    grep -q '^# ready' "$work/sandbox.env" && break
    kill -0 "$sandbox_pid" 2>/dev/null || fail "disburse-sandbox exited"
    sleep 0.1
done
grep -q '^# ready' "$work/sandbox.env" || fail "disburse-sandbox never got ready"
set -a
# shellcheck disable=SC1091
source "$work/sandbox.env"
set +a
control="$DISBURSE_SANDBOX_CONTROL_URL"

# curl METHOD PATH [BODY]: the control endpoint's answer, failing on a non-2xx status.
call() {
    curl --silent --show-error --fail-with-body -X "$1" -H 'Content-Type: application/json' \
        ${3:+--data "$3"} "$control$2"
}

step "1. inject a fault: the next Vesicash payout is committed, then the connection drops"
answer="$(call POST /faults '{"provider": "vesicash", "fault": "commit_then_drop", "method": "POST", "path": "/v1/payment/payout/process"}')"
echo "$answer"
[[ "$answer" == *'"times":1'* ]] || fail "the fault was not injected: $answer"

step "2. disburse payout: the answer never comes back"
set +e
"$disburse" payout --provider vesicash --reference demo-1 --amount 1000 --currency KES \
    --to +254712345678 --country KE --narration "payroll demo-1" \
    > "$work/payout.out" 2> "$work/payout.err"
code=$?
set -e
cat "$work/payout.err"
[ "$code" -ne 0 ] || fail "disburse payout exited 0 after a dropped connection"
grep -q '^disburse: OUTCOME UNKNOWN (money may have moved; reconcile before re-sending)' \
    "$work/payout.err" || fail "disburse payout did not say the outcome is unknown"

step "3. the sandbox's ledger: the payout was committed once, still pending"
ledger="$(call GET '/ledger?provider=vesicash&reference=demo-1')"
entries="$(grep -o '"id":"PY_[A-Z0-9]*"' <<< "$ledger" | wc -l)"
[ "$entries" -eq 1 ] || fail "expected exactly one payout for demo-1, ledger: $ledger"
id="$(grep -o '"id":"PY_[A-Z0-9]*"' <<< "$ledger" | cut -d'"' -f4)"
[[ "$ledger" == *'"status":"pending"'* ]] || fail "the payout is not pending: $ledger"
[[ "$ledger" == *'"amount":"1000"'* ]] || fail "the amount is not the decimal string 1000: $ledger"
echo "payout $id: pending, 1000 KES"

step "4. settle it now, then reconcile through the CLI"
answer="$(call POST /settle "{\"provider\": \"vesicash\", \"id\": \"$id\"}")"
[[ "$answer" == *'"status":"succeeded"'* ]] || fail "settle did not make it final: $answer"
status="$("$disburse" status --provider vesicash --id "$id")"
echo "$status"
[[ "$status" == *"\"id\":\"$id\""* && "$status" == *'"status":"succeeded"'* ]] \
    || fail "disburse status did not reconcile $id as succeeded: $status"

step "5. nothing was paid twice: one payout for demo-1 in the ledger"
ledger="$(call GET '/ledger?provider=vesicash&reference=demo-1')"
[ "$(grep -o '"id":"PY_' <<< "$ledger" | wc -l)" -eq 1 ] || fail "paid twice: $ledger"
echo "sandbox-demo: OUTCOME UNKNOWN reconciled as succeeded, paid once"
