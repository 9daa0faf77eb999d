"""Reads a `genai-otel export-trace` YAML dataset with PyYAML (an independent YAML 1.1 parser)
and checks it holds exactly the data of the JSON Lines export of the same trace (all but
`metadata.exported_at`).

Usage: python check_dataset_yaml.py DATASET.yaml DATASET.jsonl

Prints `OK <n> cases` and exits 0, or prints the first difference and exits 1.
"""

import json
import sys

import yaml


def main(yaml_path, jsonl_path):
    with open(yaml_path, encoding="utf-8") as f:
        docs = [d for d in yaml.safe_load_all(f) if d is not None]
    if len(docs) != 1:
        print(f"expected one YAML document, found {len(docs)}")
        return 1
    dataset = docs[0]
    with open(jsonl_path, encoding="utf-8") as f:
        lines = [json.loads(line) for line in f if line.strip()]
    cases = dataset.get("cases")
    if not isinstance(cases, list) or len(cases) != len(lines):
        print(f"YAML has {len(cases or [])} cases, JSON Lines {len(lines)}")
        return 1
    head = {k: v for k, v in dataset.items() if k != "cases"}
    # The two exports ran at different moments.
    head.get("metadata", {}).pop("exported_at", None)
    for i, (case, line) in enumerate(zip(cases, lines)):
        line_dataset = line.pop("dataset", None) or {}
        line_dataset.get("metadata", {}).pop("exported_at", None)
        if line_dataset != head:
            print(f"case {i}: dataset differs:\n{head}\n{line_dataset}")
            return 1
        if case != line:
            for key in sorted(set(case) | set(line)):
                if case.get(key) != line.get(key):
                    print(f"case {i}: `{key}` differs:\nyaml:  {case.get(key)!r}\njsonl: {line.get(key)!r}")
                    break
            return 1
    print(f"OK {len(cases)} cases")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
