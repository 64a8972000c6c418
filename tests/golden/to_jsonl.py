#!/usr/bin/env python3
"""Writes the JSON Lines form of a golden case: the same rows and the same analysis.

Usage: to_jsonl.py CASE_DIR OUT_DIR  ->  OUT_DIR/analysis_config.json, OUT_DIR/data.jsonl

Each CSV row becomes {"features": [...], "label": v, "predicted_label": p}. Columns keep their
order (label and prediction taken out); `headers` names the features, then the label. Cells
are typed per column as pandas types a CSV column (every value an integer: numbers; every
value a number: floats; True/False: booleans; otherwise strings), and pandas' missing-value
markers become null, so the analysis must equal the CSV case's expected.json. Facets named by
index are renumbered to their place in `headers`; a group variable given by index is named (a
JSON Lines config names it). Standard library only.
"""
import csv
import json
import re
import sys

NA = {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
      "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"}
INT = re.compile(r"^[+-]?\d+$")


def is_float(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


def column_type(values):
    vals = [v for v in values if v not in NA]
    if vals and all(INT.match(v) for v in vals):
        return "int"
    if vals and all(is_float(v) for v in vals):
        return "float"
    if vals and all(v in ("True", "False", "TRUE", "FALSE", "true", "false") for v in vals):
        return "bool"
    return "str"


def cell(v, t):
    if v in NA:
        return None
    if t == "int":
        return int(v)
    if t == "float":
        return float(v)
    if t == "bool":
        return v.lower() == "true"
    return v


def col_index(ref, names):
    return ref if isinstance(ref, int) else names.index(ref)


def main():
    src, dst = sys.argv[1], sys.argv[2]
    cfg = json.load(open(f"{src}/analysis_config.json"))
    with open(f"{src}/data.csv", newline="") as f:
        rows = list(csv.reader(f))
    names, rows = rows[0], rows[1:]
    label = col_index(cfg["label"], names)
    pred = col_index(cfg["predicted_label"], names) if "predicted_label" in cfg else None
    feats = [k for k in range(len(names)) if k not in (label, pred)]
    types = [column_type([r[k] if k < len(r) else "" for r in rows]) for k in range(len(names))]
    headers = [names[k] for k in feats] + [names[label]]

    def renumber(ref):
        return headers.index(names[ref]) if isinstance(ref, int) else ref

    out = dict(cfg)
    out["dataset_type"] = "application/jsonlines"
    out["headers"] = headers
    out["features"] = "features"
    out["label"] = "label"
    if pred is not None:
        out["predicted_label"] = "predicted_label"
    out["facet"] = [dict(fc, name_or_index=renumber(fc["name_or_index"])) for fc in cfg["facet"]]
    if "group_variable" in cfg:  # a JMESPath-era key: JSON Lines configs name it
        gv = cfg["group_variable"]
        out["group_variable"] = names[gv] if isinstance(gv, int) else gv
    json.dump(out, open(f"{dst}/analysis_config.json", "w"), indent=1)
    with open(f"{dst}/data.jsonl", "w") as f:
        for r in rows:
            r = r + [""] * (len(names) - len(r))
            rec = {"features": [cell(r[k], types[k]) for k in feats], "label": cell(r[label], types[label])}
            if pred is not None:
                rec["predicted_label"] = cell(r[pred], types[pred])
            f.write(json.dumps(rec, allow_nan=False) + "\n")


if __name__ == "__main__":
    main()
