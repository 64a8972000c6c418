#!/usr/bin/env python3
"""Writes simulated endpoint traffic with ground truth from the Adult data set.

By default, the shipped monitoring sample (data/sample-monitoring/): an endpoint "adult-income"
serves the demo's rule model (scripts/demo.sh) over two hours of 2026-11-24: from 10:00 the rule
as in the demo; from 11:00 a drifted model that also turns down women with fewer than 45 hours a
week. Each invocation sends one Adult row as CSV and gets the predicted label back; ground truth
(the real Salary) is uploaded in the following hour under the invocation's inferenceId (half of
the invocations) or eventId. Deterministic: running it again gives the same files.

Options: --out DIR --start 2026-11-24T10:00:00Z --hours N --per-hour K --drift-from H (the first
drifted hour, counted from 0). Standard library only.
"""
import argparse, calendar, json, os, random, sys, time, uuid

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
ap = argparse.ArgumentParser()
ap.add_argument("--out", default=os.path.join(root, "data", "sample-monitoring"))
ap.add_argument("--start", default="2026-11-24T10:00:00Z")
ap.add_argument("--hours", type=int, default=2)
ap.add_argument("--per-hour", type=int, default=1000)
ap.add_argument("--drift-from", type=int, default=1)
opts = ap.parse_args()
out = opts.out
rnd = random.Random(2026)
rows = []
with open(os.path.join(root, "data", "adult", "adult.csv")) as f:
    header = [h.strip() for h in f.readline().split(",")]
    for line in f:
        cells = [c.strip() for c in line.rstrip("\n").split(",")]
        if len(cells) == 15:
            rows.append(cells)


def rule(r, drifted):
    edu, hours, gain = int(r[4]), int(r[12]), int(r[10])
    pos = (edu >= 13 and hours >= 40) or gain >= 7000
    if drifted and r[9] == "Female" and hours < 45:
        pos = False
    return ">50K" if pos else "<=50K"


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def part(t):
    return time.strftime("%Y/%m/%d/%H", time.gmtime(t))


start = calendar.timegm(time.strptime(opts.start, "%Y-%m-%dT%H:%M:%SZ"))
files = {}
for hour in range(opts.hours):
    for k in range(opts.per_hour):
        r = rows[rnd.randrange(len(rows))]
        t = start + hour * 3600 + rnd.randrange(3600)
        event_id = str(uuid.UUID(int=rnd.getrandbits(128)))
        inference_id = f"req-{hour}-{k}" if k % 2 == 0 else None
        meta = {"eventId": event_id, "inferenceTime": iso(t)}
        if inference_id:
            meta["inferenceId"] = inference_id
        rec = {"captureData": {
                   "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                                     "data": ",".join(r[:14]) + "\n", "encoding": "CSV"},
                   "endpointOutput": {"observedContentType": "text/csv; charset=utf-8", "mode": "OUTPUT",
                                      "data": rule(r, hour >= opts.drift_from), "encoding": "CSV"}},
               "eventMetadata": meta, "eventVersion": "0"}
        name = f"capture/adult-income/AllTraffic/{part(t)}/{(t // 900) % 4 * 15:02d}-00-000-sample.jsonl"
        files.setdefault(name, []).append(json.dumps(rec))
        gt = {"groundTruthData": {"data": r[14], "encoding": "CSV"},
              "eventMetadata": {"eventId": inference_id or event_id}, "eventVersion": "0"}
        files.setdefault(f"ground-truth/{part(t + 3600)}/labels.jsonl", []).append(json.dumps(gt))
for name, lines in files.items():
    path = os.path.join(out, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(sorted(lines)) + "\n")
print(f"wrote {sum(len(v) for v in files.values())} records under {out}")
