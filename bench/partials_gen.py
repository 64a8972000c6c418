#!/usr/bin/env python3
"""Generates the data of bench/partials_bench.sh: an endpoint's hourly capture over HOURS hours
ending at 2026-11-23T12:00Z and its ground truth, staged by upload hour so that the bench can
release each hour's labels when its tick comes (labels arrive 1 to 60 minutes after inference,
so a capture hour's labels land in its own hour folder and the next one).

Usage: partials_gen.py DIR [--records-per-hour N] [--hours H]

Writes DIR/capture/bench-ep/AllTraffic/yyyy/mm/dd/HH/MM-00-000.jsonl (4 files an hour),
DIR/gt-stage/yyyy/mm/dd/HH/labels.jsonl (labels for 95 % of the records, keyed by inferenceId on
half of them, else by eventId) and DIR/analysis_config.json. Records look like bench_execute's:
8 Adult-like CSV features, a score, compact JSON. Fixed seed: the same data every time.
Standard library only."""
import json, os, random, sys, time

END = 1795521600 - 24 * 3600  # 2026-11-23T12:00:00Z


def part(t):
    return time.strftime("%Y/%m/%d/%H", time.gmtime(t))


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def main():
    out = sys.argv[1]
    per_hour = int(sys.argv[sys.argv.index("--records-per-hour") + 1]) if "--records-per-hour" in sys.argv else 2000
    hours = int(sys.argv[sys.argv.index("--hours") + 1]) if "--hours" in sys.argv else 180
    rnd = random.Random(20261123)
    work = ["Private", "Self-emp", "State-gov", "Federal-gov", "Local-gov"]
    edu = ["Bachelors", "HS-grad", "Masters", "Some-college", "Doctorate", "Assoc-voc"]
    mar = ["Married", "Never-married", "Divorced", "Widowed"]
    gt = {}
    start = END - hours * 3600
    for h in range(hours):
        t0 = start + h * 3600
        files = [[] for _ in range(4)]
        for i in range(per_hour):
            t = t0 + (i * 3600) // per_hour
            eid = "%08x-%04x-%04x-%04x-%012x" % (rnd.getrandbits(32), rnd.getrandbits(16), rnd.getrandbits(16),
                                                 rnd.getrandbits(16), rnd.getrandbits(48))
            sex = "Female" if rnd.random() < 0.33 else "Male"
            e = rnd.choice(edu)
            feats = "%d,%s,%d,%s,%d,%s,%s,%d\n" % (rnd.randint(17, 90), rnd.choice(work), rnd.randint(10000, 900000), e,
                                                   rnd.randint(1, 16), rnd.choice(mar), sex, rnd.randint(1, 99))
            score = rnd.random()
            meta = {"eventId": eid, "inferenceTime": iso(t)}
            key = eid
            if rnd.random() < 0.5:
                key = "req-%016x" % rnd.getrandbits(64)
                meta["inferenceId"] = key
            rec = {"captureData": {"endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": feats,
                                                      "encoding": "CSV"},
                                   "endpointOutput": {"observedContentType": "text/csv; charset=utf-8", "mode": "OUTPUT",
                                                      "data": repr(score), "encoding": "CSV"}},
                   "eventMetadata": meta, "eventVersion": "0"}
            files[(i * 4) // per_hour].append(json.dumps(rec, separators=(",", ":")))
            if rnd.random() < 0.95:
                up = t + rnd.randint(60, 3600)
                label = "1" if rnd.random() < (0.3 if sex == "Female" else 0.45) else "0"
                gt.setdefault(up - up % 3600, []).append(json.dumps(
                    {"groundTruthData": {"data": label, "encoding": "CSV"},
                     "eventMetadata": {"eventId": key}, "eventVersion": "0"}, separators=(",", ":")))
        d = os.path.join(out, "capture/bench-ep/AllTraffic", part(t0))
        os.makedirs(d, exist_ok=True)
        for k, lines in enumerate(files):
            with open(os.path.join(d, "%02d-00-000.jsonl" % (k * 15)), "w") as f:
                f.write("\n".join(lines) + "\n")
    for hour, lines in gt.items():
        d = os.path.join(out, "gt-stage", part(hour))
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "labels.jsonl"), "w") as f:
            f.write("\n".join(lines) + "\n")
    json.dump({"headers": ["age", "workclass", "fnlwgt", "education", "education-num", "marital-status", "sex",
                           "hours-per-week", "income"],
               "label": "income", "label_values_or_threshold": [1],
               "facet": [{"name_or_index": "sex", "value_or_threshold": ["Female"]}], "group_variable": "education",
               "methods": {"pre_training_bias": {"methods": "all"},
                           "post_training_bias": {"methods": ["AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR",
                                                              "GE", "RD", "SD", "TE"]}}},
              open(os.path.join(out, "analysis_config.json"), "w"))


main()
