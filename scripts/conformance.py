#!/usr/bin/env python3
"""Conformance of the packager CLI against the shared fixtures (fixtures/README.md).

Usage: conformance.py <fixtures-dir> [--packager PATH]

Every package in packages/ must give its stated outcome, every project in projects/ must pack as
stated, and packing a project then unpacking the result must give back the same files byte for
byte. Prints one line per case and a final `N passed, N failed` line; exits 1 on any failure.
Python standard library only.
"""

import argparse
import filecmp
import json
import os
import subprocess
import sys
import tempfile

# Expected package outcomes that are not plain success: path -> list of (extra args, code or None).
PACKAGE_EXPECTATIONS = {
    "5gtango-ns-package-example-bad.tgo": [
        ([], "descriptor-invalid"),
        (["--level", "skip"], None),
    ],
    "5gtango-ns-package-example-bad-checksum.tgo": [([], "checksum-mismatch")],
    "5gtango-ns-package-example-malformed.tgo": [([], "napd-invalid")],
    "reference-packed/eu.5gtango.comm-pilot-test-headless-browser.0.1.tgo": [
        ([], "descriptor-invalid"),
    ],
    "schema-examples/eu.5gtango.simple-ttcn3-test.0.1.tgo": [
        ([], None),
        (["--schema-dir", "{schemas}"], "descriptor-invalid"),
    ],
}
# Messages that must name a file.
MESSAGE_MUST_NAME = {
    "5gtango-ns-package-example-bad-checksum.tgo": "Definitions/myvnfd.yaml",
    "reference-packed/eu.5gtango.comm-pilot-test-headless-browser.0.1.tgo": "test-descriptor.yml",
}
# Artifact counts stated in the README: path -> {content-type suffix: count} or total.
CONTENT_COUNTS = {
    "5gtango-ns-package-example.tgo": {"nsd": 1, "vnfd": 1},
    "eu.5gtango.a10networks-nginx.0.1.tgo": {"nsd": 1, "vnfd": 2},
    "eu.5gtango.idempotency_test.0.1.tgo": {"total": 9},
    "eu.5gtango.mixed-ns-package-example.0.1.tgo": {"total": 10, "nsd": 3, "vnfd": 3},
}
PROJECT_EXPECTATIONS = {
    "5gtango_ns_project_example1_bad": [([], "descriptor-invalid"), (["--level", "skip"], None)],
    "tng-tests/HEADLESS_BROWSER": [([], "descriptor-invalid"), (["--level", "skip"], None)],
    "schema-examples/5gtango-test-project-example": [([], "missing-file")],
}


class Runner:
    def __init__(self, packager, fixtures):
        self.packager = packager
        self.fixtures = fixtures
        self.passed = 0
        self.failed = 0

    def record(self, ok, label, detail=""):
        if ok:
            self.passed += 1
            print(f"PASS {label}")
        else:
            self.failed += 1
            print(f"FAIL {label}: {detail}")

    def run(self, *args):
        return subprocess.run(
            [self.packager, *args], capture_output=True, text=True, timeout=300
        )

    def fill(self, args):
        schemas = os.path.join(self.fixtures, "schemas")
        return [a.replace("{schemas}", schemas) for a in args]

    def check_package(self, rel):
        path = os.path.join(self.fixtures, "packages", rel)
        for extra, want in PACKAGE_EXPECTATIONS.get(rel, [([], None)]):
            extra = self.fill(extra)
            label = f"package {rel} {' '.join(extra)}".rstrip()
            result = self.run("validate", "--json", *extra, path)
            try:
                body = json.loads(result.stdout)
            except json.JSONDecodeError:
                self.record(False, label, f"no JSON on stdout: {result.stderr.strip()}")
                continue
            if want is None:
                ok = result.returncode == 0 and body.get("error") is None
                detail = body.get("error", "")
                if ok and rel in CONTENT_COUNTS:
                    ok, detail = counts_match(body, CONTENT_COUNTS[rel])
                self.record(ok, f"{label} -> success", detail)
            else:
                ok = result.returncode == 1 and body.get("code") == want
                must = MESSAGE_MUST_NAME.get(rel)
                if ok and must and must not in body.get("error", ""):
                    ok = False
                self.record(ok, f"{label} -> {want}", json.dumps(body)[:300])

    def check_project(self, rel, out_dir):
        project = os.path.join(self.fixtures, "projects", rel)
        for extra, want in PROJECT_EXPECTATIONS.get(rel, [([], None)]):
            label = f"project {rel} {' '.join(extra)}".rstrip()
            target = tempfile.mkdtemp(dir=out_dir)
            result = self.run("pack", *extra, project, "--output", target)
            if want is not None:
                ok = result.returncode == 1 and f"[{want}]" in result.stderr
                made = os.listdir(target)
                self.record(ok and not made, f"{label} -> {want}", result.stderr.strip() or f"left {made}")
                continue
            packed = result.stdout.strip()
            if result.returncode != 0 or not os.path.isfile(packed):
                self.record(False, f"{label} -> packs", result.stderr.strip())
                continue
            self.record(True, f"{label} -> {os.path.basename(packed)}")
            self.check_round_trip(rel, project, packed, extra, out_dir)

    def check_round_trip(self, rel, project, packed, extra, out_dir):
        label = f"round trip {rel}"
        target = tempfile.mkdtemp(dir=out_dir)
        result = self.run("unpack", *extra, packed, "--output", target)
        if result.returncode != 0:
            self.record(False, label, result.stderr.strip())
            return
        unpacked = result.stdout.strip()
        compared, problems = 0, []
        for dirpath, _, names in os.walk(unpacked):
            for name in names:
                rel_file = os.path.relpath(os.path.join(dirpath, name), unpacked)
                if rel_file == "project.yml":
                    continue
                original = os.path.join(project, rel_file)
                compared += 1
                if not os.path.isfile(original):
                    problems.append(f"{rel_file} is not in the project")
                elif not filecmp.cmp(original, os.path.join(dirpath, name), shallow=False):
                    problems.append(f"{rel_file} differs")
        if compared == 0:
            problems.append("no files came back")
        expected = self.packed_file_count(packed, extra)
        if expected is not None and compared != expected:
            problems.append(f"{compared} files came back, the package holds {expected}")
        self.record(not problems, f"{label} ({compared} files identical)", "; ".join(problems[:5]))


    def packed_file_count(self, packed, extra):
        """Files the package carries (None when a folder zip expands to several)."""
        result = self.run("validate", "--json", *extra, packed)
        try:
            content = json.loads(result.stdout).get("package_content", [])
        except json.JSONDecodeError:
            return None
        if any(e.get("content-type") == "application/vnd.folder.compressed.zip" for e in content):
            return None
        return len(content)


def counts_match(record, expected):
    content = record.get("package_content", [])
    for key, want in expected.items():
        if key == "total":
            got = len(content)
        else:
            got = sum(1 for e in content if (e.get("content-type") or "").endswith("." + key))
        if got != want:
            return False, f"expected {want} {key}, found {got}"
    return True, ""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("fixtures")
    parser.add_argument("--packager", default=os.environ.get("PACKAGER_BIN", "target/debug/packager"))
    args = parser.parse_args()
    runner = Runner(os.path.abspath(args.packager), os.path.abspath(args.fixtures))
    packages = os.path.join(runner.fixtures, "packages")
    for dirpath, _, names in sorted(os.walk(packages)):
        for name in sorted(n for n in names if n.endswith(".tgo")):
            runner.check_package(os.path.relpath(os.path.join(dirpath, name), packages))
    projects_root = os.path.join(runner.fixtures, "projects")
    projects = sorted(
        os.path.relpath(dirpath, projects_root)
        for dirpath, _, names in os.walk(projects_root)
        if "project.yml" in names or "project.yaml" in names
    )
    with tempfile.TemporaryDirectory() as out_dir:
        for rel in projects:
            runner.check_project(rel, out_dir)
    print(f"conformance: {runner.passed} passed, {runner.failed} failed")
    sys.exit(1 if runner.failed else 0)


if __name__ == "__main__":
    main()
