#!/usr/bin/env python3
"""Generate the compact ATT&CK technique tables embedded in dnstel-analysis.

Usage: gen_mitre.py SHARED_MITRE_DIR OUTPUT_DIR

Each input `enterprise-techniques-vX.tsv` becomes `mitre-vX.tsv` with four columns:
technique id, technique name, tactic names and tactic ids, each joined by '|' in kill-chain
order.
Wazuh 4.3 and later load only techniques that are neither revoked nor deprecated, while
Wazuh 3.13 to 4.2 (ATT&CK v6.0) loaded every technique, so v6.0 keeps all rows.
"""
import csv
import pathlib
import sys


def main() -> None:
    source, output = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    for table in sorted(source.glob("enterprise-techniques-v*.tsv")):
        version = table.stem.removeprefix("enterprise-techniques-v")
        keep_all = version == "6.0"
        rows = []
        with table.open(newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                retired = row["revoked"] == "true" or row["deprecated"] == "true"
                if retired and not keep_all:
                    continue
                rows.append(
                    f'{row["technique_id"]}\t{row["name"]}\t{row["tactic_names"]}\t{row["tactic_ids"]}\n'
                )
        (output / f"mitre-v{version}.tsv").write_text("".join(rows))


if __name__ == "__main__":
    main()
