#!/usr/bin/env bash
# Side by side with the Python Sirius SDK (1.0.25) in one run (docs/BENCHMARKS.md):
#   (a) 3 participants, one ledger, K commits one after another: latency per round;
#   (b) 3 participants, 10 ledgers concurrently, K commits each: committed txns/s.
# First three Python peers of the conformance kit (a copy of it; the shared kit is never
# modified), then three of our nodes (`tmtm-bench race`); then both results and the ratios.
#
#   bench/side-by-side.sh [K]          K commits per ledger (default 50)
# Environment: CONFORMANCE_KIT (the kit to copy; default ../shared/conformance or
# /work/shared/conformance), KIT_COPY (default /tmp/tmtm-side-by-side-kit),
# PY_BASE_PORT (default 8391: the Python peers use it and the next two ports),
# RUST_BASE_PORT (default 8200).
set -euo pipefail
K=${1:-50}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KIT_SRC=${CONFORMANCE_KIT:-}
if [ -z "$KIT_SRC" ]; then
  for c in "$ROOT/../shared/conformance" /work/shared/conformance; do
    [ -x "$c/setup.sh" ] && KIT_SRC=$c && break
  done
fi
[ -n "$KIT_SRC" ] || { echo "no conformance kit found; set CONFORMANCE_KIT" >&2; exit 2; }
KIT=${KIT_COPY:-/tmp/tmtm-side-by-side-kit}
PY_BASE=${PY_BASE_PORT:-8391}
RUST_BASE=${RUST_BASE_PORT:-8200}
OUT=$(mktemp -d /tmp/tmtm-side-by-side.XXXXXX)

echo "== building tmtm-bench (release)"
(cd "$ROOT" && cargo build --release -q -p tmtm-bench)

echo "== preparing the Python peers (sirius-sdk 1.0.25) in $KIT"
mkdir -p "$KIT"
cp -r "$KIT_SRC/kit" "$KIT_SRC/requirements" "$KIT_SRC/setup.sh" "$KIT_SRC/roster.json" "$KIT/"
(cd "$KIT" && ./setup.sh >"$OUT/setup.log" 2>&1) || { cat "$OUT/setup.log"; exit 1; }
PY=$KIT/.venv/sirius-1.0.25/bin/python
python3 - "$KIT/roster.json" "$OUT/roster.json" "$PY_BASE" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
base = int(sys.argv[3])
for i, p in enumerate(r['participants'][:3]):
    p['endpoint'] = f'http://127.0.0.1:{base + i}/'
r['participants'] = r['participants'][:3]
r.pop('pinger', None)
json.dump(r, open(sys.argv[2], 'w'), indent=1)
PYEOF

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
for n in A B C; do
  "$PY" "$KIT/kit/node.py" --roster "$OUT/roster.json" --me "$n" --ttl 30 \
    >"$OUT/python-$n.log" 2>&1 </dev/null &
  PIDS+=($!)
done

echo "== Python: K=$K"
python3 "$ROOT/bench/py_race.py" --roster "$OUT/roster.json" --k "$K" | tee "$OUT/python.txt"
cleanup; PIDS=()

echo "== Rust (3 tmtm nodes): K=$K"
"$ROOT/target/release/tmtm-bench" race --k "$K" --base-port "$RUST_BASE" | tee "$OUT/rust.txt"

python3 - "$OUT/python.txt" "$OUT/rust.txt" <<'PYEOF'
import sys
def load(path):
    out = {}
    for line in open(path):
        if line.startswith('RESULT '):
            kv = dict(x.split('=', 1) for x in line.split()[1:])
            out[kv['scenario']] = kv
    return out
py, rs = load(sys.argv[1]), load(sys.argv[2])
print()
print('| scenario | Python sirius-sdk 1.0.25 | tmtm (Rust) | ratio |')
print('|---|---|---|---|')
for q in ('p50_ms', 'p99_ms', 'max_ms'):
    p, r = float(py['a'][q]), float(rs['a'][q])
    print(f"| (a) latency per round, {q[:-3]} | {p:.1f} ms | {r:.2f} ms | {p / r:.1f}x lower |")
p, r = float(py['b']['txns_per_sec']), float(rs['b']['txns_per_sec'])
print(f"| (b) 10 ledgers concurrently | {p:.1f} txns/s | {r:.1f} txns/s | {r / p:.1f}x higher |")
PYEOF
echo "(logs in $OUT)"
