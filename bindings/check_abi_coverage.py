#!/usr/bin/python3
"""ABI completeness of the bindings: every UPRES_API function of include/upres/upres.h is declared
by each binding, and no binding declares a function the header no longer has (Python resolves its
prototypes when imported, so a stale name breaks the import).

Usage: check_abi_coverage.py SOURCE_ROOT
Exits 1 with the missing and stale names per binding. Before checking, it proves its own parsers
can fail: removing one real declaration from each binding's text must be reported as missing.
"""
import re
import sys
from pathlib import Path

# Where each binding declares the C functions, and how a declaration reads there.
BINDINGS = {
    "rust (upres-sys)": ("bindings/rust/upres-sys/src/lib.rs",
                         r"\bfn\s+(upres_\w+)\s*\("),
    "csharp (Native.cs)": ("bindings/csharp/Native.cs",
                           r"\bextern\s+[\w.\[\]]+\s+(upres_\w+)\s*\("),
    "python (_native.py)": ("bindings/python/upres/_native.py",
                            r"[\"'](upres_\w+)[\"']\s*:\s*\("),  # _PROTOTYPES = {"upres_x": (restype, [args])}
}


def strip_comments(text, line_comment):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(re.escape(line_comment) + r"[^\n]*", " ", text)


def header_functions(header_text):
    # `UPRES_API <return type> upres_name(`; the `#define UPRES_API ...` lines name no upres_ function.
    text = strip_comments(header_text, "//")
    return set(re.findall(r"\bUPRES_API\s+[\w\s\*]*?\b(upres_\w+)\s*\(", text))


def declared(text, pattern, line_comment):
    return set(re.findall(pattern, strip_comments(text, line_comment)))


def main(root):
    root = Path(root)
    header = header_functions((root / "include/upres/upres.h").read_text())
    if len(header) < 10:
        print(f"check_abi_coverage: found only {len(header)} UPRES_API functions in upres.h: parser broken")
        return 1
    failed = False
    for name, (path, pattern) in BINDINGS.items():
        text = (root / path).read_text()
        comment = "#" if path.endswith(".py") else "//"
        names = declared(text, pattern, comment)

        # The parser must notice a removed declaration: drop the first one it found.
        probe = next((n for n in sorted(header) if n in names), None)
        if probe is None or probe in declared(re.sub(rf"\b{probe}\b", "removed_", text), pattern, comment):
            print(f"{name}: {path}: the declaration parser cannot see a removed declaration ({probe})")
            failed = True
            continue

        missing, stale = sorted(header - names), sorted(names - header)
        if missing:
            print(f"{name}: {path} lacks {len(missing)} of the header's functions: {', '.join(missing)}")
        if stale:
            print(f"{name}: {path} declares functions upres.h does not have: {', '.join(stale)}")
        failed |= bool(missing or stale)
        if not missing and not stale:
            print(f"{name}: all {len(header)} functions declared")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: check_abi_coverage.py SOURCE_ROOT", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
