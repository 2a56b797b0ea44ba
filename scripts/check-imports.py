#!/usr/bin/env python3
"""Package.swift's dependencies equal the imports: each target declares exactly the modules
its Swift files import (system modules aside). Prints every difference; exits 1 if any.
`make test` runs it; `python3 scripts/check-imports.py` alone takes a few seconds."""
import json
import os
import re
import subprocess
import sys

SYSTEM = {"Foundation", "FoundationEssentials", "Glibc", "Musl", "Darwin", "Dispatch", "Testing", "XCTest",
          "PackagePlugin", "Synchronization", "_Concurrency", "Swift"}
IMPORT = re.compile(r"^(?:@testable\s+|@_exported\s+|@preconcurrency\s+)*import\s+(?:(?:struct|class|enum|protocol|func|var|let|typealias)\s+)?([A-Za-z_][A-Za-z0-9_]*)", re.M)

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
described = json.loads(subprocess.run(["swift", "package", "describe", "--type", "json"], cwd=root,
                                      check=True, capture_output=True, text=True).stdout)
failed = False
for target in described["targets"]:
    if target.get("type") == "plugin" or target.get("module_type") == "SystemLibraryTarget":
        continue
    path = os.path.join(root, target["path"])
    imported = set()
    for folder, _, files in os.walk(path):
        for name in files:
            if name.endswith(".swift"):
                with open(os.path.join(folder, name), encoding="utf-8") as f:
                    imported |= set(IMPORT.findall(f.read()))
    imported -= SYSTEM
    declared = {name.replace("-", "_") for name in target.get("product_dependencies", []) + target.get("target_dependencies", [])}
    declared = {d for d in declared if d != "EmbedFiles"}
    missing, unused = sorted(imported - declared), sorted(declared - imported)
    if missing or unused:
        failed = True
        print(f"{target['name']}: imported but not declared {missing or '-'}; declared but not imported {unused or '-'}")
print("Package.swift's dependencies differ from the imports" if failed else "Package.swift's dependencies equal the imports")
sys.exit(1 if failed else 0)
