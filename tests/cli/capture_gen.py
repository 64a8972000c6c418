#!/usr/bin/env python3
"""Builds a SageMaker-layout capture and ground-truth tree from a CSV dataset, for tests.

Usage: capture_gen.py DATA.csv OUTDIR [--seed N]

The dataset's last two columns are the label and the model's prediction; the others are the
features. Rows are spread over invocations around T = 2026-11-24T12:00:00Z with a window
[10:00, 12:00): single-record and 3-record CSV invocations, JSON invocations, base64 payloads,
inferenceId joins and eventId joins, records outside the window, ground truth uploaded late
(after T, never read), ground truth for records that were never captured, and malformed lines.

Writes OUTDIR/capture/ep-1/{AllTraffic,Shadow}/yyyy/mm/dd/HH/*.jsonl, OUTDIR/gt/yyyy/mm/dd/HH/*.jsonl,
OUTDIR/expected.csv (the rows a correct execution analyses, in the order it reads them) and
OUTDIR/expected_counts.json (what execution.json must report). Standard library only.
"""
import base64, csv, io, json, os, random, sys, uuid

T = 1795521600  # 2026-11-24T12:00:00Z
WS, WE = T - 7200, T


def iso(t):
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def part(t):
    import time
    return time.strftime("%Y/%m/%d/%H", time.gmtime(t))


def main():
    src, out = sys.argv[1], sys.argv[2]
    seed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 1
    rnd = random.Random(seed)
    rdup = random.Random(seed + 1000)  # corrected labels: their own stream, the rest stays as it was
    rfmt = random.Random(seed + 2000)  # line ends of CSV payloads: likewise

    def csv_lines(records):
        # "\n" mostly; sometimes CRLF, and blank lines (which readers skip)
        eol = "\r\n" if rfmt.random() < 0.2 else "\n"
        blank = eol if rfmt.random() < 0.1 else ""
        return "".join(blank + ",".join(f) + eol for f in records)
    rows = list(csv.reader(open(src, newline="")))
    header, rows = rows[0], rows[1:]
    nfeat = len(header) - 2
    files = {}  # path -> list of lines
    order = []  # (sort key, rows) of records an execution analyses
    counts = dict(capture_records=0, records_in_window=0, records_outside_window=0,
                  malformed_capture_records=0, joined_records=0, rows=0,
                  capture_records_without_ground_truth=0, ground_truth_records=0,
                  ground_truth_without_capture=0, duplicate_ground_truth_ids=0)

    def put(path, line):
        files.setdefault(path, []).append(line)

    i = 0
    seq = 0
    while i < len(rows):
        k = 3 if rnd.random() < 0.15 else 1
        chunk = rows[i:i + k]
        i += len(chunk)
        seq += 1
        # when: mostly in the window, some before or after it
        u = rnd.random()
        if u < 0.08:
            t = WS - rnd.randint(1, 3000)          # before the window (hour 09 partition: not read)
        elif u < 0.12:
            t = WS - rnd.randint(1, 59)            # 09:59:xx, but filed under hour 10 (read, filtered)
        elif u < 0.16:
            t = WE + rnd.randint(0, 3000)          # after the window
        else:
            t = rnd.randint(WS, WE - 1)
        filed = t + 60 if WS - 60 <= t < WS else t  # the 09:59 records land in the 10:00 partition
        variant = "Shadow" if rnd.random() < 0.2 else "AllTraffic"
        event_id = str(uuid.UUID(int=rnd.getrandbits(128)))
        inference_id = f"inf-{seq}" if rnd.random() < 0.5 else None
        feats = [r[:nfeat] for r in chunk]
        labels = [r[nfeat] for r in chunk]
        preds = [r[nfeat + 1] for r in chunk]
        style = rnd.random()
        if style < 0.7:  # CSV in, CSV out
            data_in = csv_lines(feats)
            inp = {"observedContentType": "text/csv", "mode": "INPUT", "data": data_in, "encoding": "CSV"}
            outp = {"observedContentType": "text/csv; charset=utf-8", "mode": "OUTPUT",
                    "data": "\n".join(preds) + "\n", "encoding": "CSV"}
        elif style < 0.85:  # base64 CSV in (a content type not listed for capture)
            data_in = csv_lines(feats)
            inp = {"observedContentType": "text/csv", "mode": "INPUT",
                   "data": base64.b64encode(data_in.encode()).decode(), "encoding": "BASE64"}
            outp = {"observedContentType": "text/csv", "mode": "OUTPUT", "data": "\n".join(preds),
                    "encoding": "CSV"}
        else:  # JSON in: numbers become JSON numbers
            def val(s):
                try:
                    return int(s)
                except ValueError:
                    try:
                        return float(s)
                    except ValueError:
                        return s
            if len(feats) == 1:
                doc = {"features": [val(x) for x in feats[0]]}
            else:
                doc = {"features": [[val(x) for x in f] for f in feats]}
            inp = {"observedContentType": "application/json", "mode": "INPUT", "data": json.dumps(doc),
                   "encoding": "JSON"}
            outp = {"observedContentType": "text/csv", "mode": "OUTPUT", "data": "\n".join(preds),
                    "encoding": "CSV"}  # a JSON-in, CSV-out model
        meta = {"eventId": event_id, "inferenceTime": iso(t)}
        if inference_id:
            meta["inferenceId"] = inference_id
        rec = {"captureData": {"endpointInput": inp, "endpointOutput": outp}, "eventMetadata": meta,
               "eventVersion": "0"}
        path = f"capture/ep-1/{variant}/{part(filed)}/{(filed // 600) % 6:02d}-00-000-{variant}.jsonl"
        put(path, json.dumps(rec))
        read = WS <= filed < WE  # the execution reads partitions 10 and 11
        if read:
            counts["capture_records"] += 1
        in_window = WS <= t < WE
        if read and not in_window:
            counts["records_outside_window"] += 1
        if in_window:
            counts["records_in_window"] += 1
        # ground truth: mostly uploaded after the inference, some late (after T: never read)
        key = inference_id or event_id
        g = rnd.random()
        if g < 0.1:
            has_gt, upload = False, None
        elif g < 0.18:
            has_gt, upload = True, T + 3600 + rnd.randint(0, 3000)  # partition 13: not read
        else:
            has_gt, upload = True, min(max(t, WS) + rnd.randint(0, 2400), T + 3599)
        if has_gt:
            if rnd.random() < 0.7 or len(labels) > 1:
                gt = {"data": "\n".join(labels), "encoding": "CSV"}
            else:
                gt = {"data": json.dumps({header[nfeat]: val_label(labels[0])}), "encoding": "JSON"}
            grec = {"groundTruthData": gt, "eventMetadata": {"eventId": key}, "eventVersion": "0"}
            gfile = f"gt/{part(upload)}/{upload // 3600 % 7}.jsonl"
            gt_read = WS // 3600 * 3600 <= upload < (T // 3600 + 1) * 3600
            if rdup.random() < 0.05:
                # an earlier upload of the same id that the later one corrects: the later one
                # wins. Its data has twice the labels, so using it would fail the record.
                wrong = {"data": "\n".join(labels + labels), "encoding": "CSV"}
                put(gfile, json.dumps({"groundTruthData": wrong, "eventMetadata": {"eventId": key},
                                       "eventVersion": "0"}))
                if gt_read:
                    counts["ground_truth_records"] += 1
                    counts["duplicate_ground_truth_ids"] += 1
            put(gfile, json.dumps(grec))
            if gt_read:
                counts["ground_truth_records"] += 1
        else:
            gt_read = False
        if in_window and gt_read:
            counts["joined_records"] += 1
            counts["rows"] += len(chunk)
            order.append(((path, len(files[path])), chunk))
        elif in_window:
            counts["capture_records_without_ground_truth"] += 1
        if gt_read and not in_window:
            counts["ground_truth_without_capture"] += 1
    # malformed lines in the window's partitions
    bad = f"capture/ep-1/AllTraffic/{part(WS + 100)}/zz-malformed.jsonl"
    put(bad, '{"captureData": {"endpointInput": ')
    # a line over the 16 MiB line limit: skipped and counted, and the record after it is read
    put(bad, '{"captureData": "' + "x" * (16 << 20) + '"}')
    short = {"captureData": {"endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                                               "data": "1,2\n", "encoding": "CSV"},
                             "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                                                "data": "1", "encoding": "CSV"}},
             "eventMetadata": {"eventId": "short-features", "inferenceTime": iso(WS + 200)},
             "eventVersion": "0"}
    put(bad, json.dumps(short))
    counts["capture_records"] += 3
    counts["malformed_capture_records"] += 3
    counts["records_in_window"] += 1          # the short record is in the window, then rejected
    put(f"gt/{part(WS)}/zz-bad.jsonl", '{"groundTruthData": 5}')
    for path, lines in files.items():
        full = os.path.join(out, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write("\n".join(lines) + "\n")
    # the order an execution reads: hour, variant, file name, line
    def read_key(item):
        (path, line), _ = item
        parts = path.split("/")
        return ("/".join(parts[3:7]), parts[2], parts[7], line)
    with open(os.path.join(out, "expected.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for _, chunk in sorted(order, key=read_key):
            w.writerows(chunk)
    json.dump(counts, open(os.path.join(out, "expected_counts.json"), "w"), indent=1)


def val_label(s):
    try:
        return int(s)
    except ValueError:
        return s


if __name__ == "__main__":
    main()
