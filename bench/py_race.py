#!/usr/bin/env python3
"""The Python half of bench/side-by-side.sh (stdlib only).

Drives three Python Sirius peers (the conformance kit's node.py) through the actor's
/control/create and /control/commit endpoints and prints RESULT lines:
  (a) one ledger, K commits one after another: latency per round (client-side, HTTP included);
  (b) ten ledgers written concurrently, K commits each: committed transactions per second.

    python3 py_race.py --roster ROSTER.json --k K
"""
import argparse
import json
import threading
import time
import urllib.request

TXN = 0
LOCK = threading.Lock()


def txn(ledger):
    """A document of the same shape and size as the Rust bench's."""
    global TXN
    with LOCK:
        TXN += 1
        n = TXN
    return {"@type": "https://github.com/Sirius-social/TMTM/tree/master/transactions/1.0/issue-transaction",
            "@id": f"bench-{n}", "no": f"WB-{n}", "date": "2026-11-28", "cargo": "coal",
            "departure_station": "Dostyk", "arrival_station": "Aktau-Port", "doc_type": "WayBill",
            "ledger": {"name": ledger}}


def post(url, body, timeout=120):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method='POST',
                                 headers={'content-type': 'application/json'})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        res = json.loads(r.read())
    if not res.get('ok'):
        raise RuntimeError(f'{url}: {res}')
    return res


def wait_up(url, deadline):
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except Exception:  # noqa
            if time.time() > deadline:
                raise
            time.sleep(0.2)


def quantile(values, q):
    s = sorted(values)
    rank = min(max(int(-(-q * len(s) // 1)), 1), len(s))
    return s[rank - 1]


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--roster', required=True)
    p.add_argument('--k', type=int, default=50)
    a = p.parse_args()
    roster = json.load(open(a.roster))
    parts = roster['participants']
    names = [x['name'] for x in parts]
    actor = parts[0]['endpoint'].rstrip('/')
    deadline = time.time() + 60
    for x in parts:
        wait_up(x['endpoint'].rstrip('/') + '/identity', deadline)

    def create(ledger):
        post(f'{actor}/control/create', {'ledger': ledger, 'participants': names, 'genesis': [txn(ledger)]})

    def commit(ledger):
        post(f'{actor}/control/commit', {'ledger': ledger, 'participants': names, 'transactions': [txn(ledger)]})

    create('race-a')
    lat = []
    for _ in range(a.k):
        t0 = time.perf_counter()
        commit('race-a')
        lat.append((time.perf_counter() - t0) * 1000)
    print(f'RESULT impl=python scenario=a rounds={len(lat)} p50_ms={quantile(lat, .5):.3f} '
          f'p99_ms={quantile(lat, .99):.3f} max_ms={quantile(lat, 1):.3f}', flush=True)

    ledgers = [f'race-b-{i}' for i in range(10)]
    for name in ledgers:
        create(name)
    errors = []

    def writer(name):
        try:
            for _ in range(a.k):
                commit(name)
        except Exception as e:  # noqa
            errors.append(repr(e))

    t0 = time.perf_counter()
    threads = [threading.Thread(target=writer, args=(n,)) for n in ledgers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise SystemExit(f'scenario b failed: {errors[0]}')
    total = len(ledgers) * a.k
    print(f'RESULT impl=python scenario=b txns={total} seconds={elapsed:.3f} '
          f'txns_per_sec={total / elapsed:.1f}', flush=True)


if __name__ == '__main__':
    main()
