"""Lines of the search code (Python and SQL) before issue 23's work and now, read from git (never run as a test).

    python benchmarks/search_lines.py [--at REVISION]

Before: the parent of the first commit that created catalogue/search/sql/. The search code is the portal's search
(landing/portal/search*.py, beside.py), the PaNOSC condition compiler (catalogue/panosc/conditions.py), the facet
groups service (catalogue/services/facet_groups.py), catalogue/search/ (Python and SQL), and the migrations that
hold or install the search triggers and functions (0006, 0007, 0012, 0014, 0027), counted whole.
"""

import argparse
import re
import subprocess

PATTERNS = (
    r"landing/portal/(search|beside)[^/]*\.py",
    r"catalogue/panosc/conditions\.py",
    r"catalogue/services/facet_groups\.py",
    r"catalogue/search/.*\.(py|sql)",
    r"catalogue/migrations/00(06|07|12|14)_.*\.py",
    r"catalogue/migrations/0027_search_sql_files\.py",
)


def git(*args: str) -> str:
    return subprocess.run(["git", *args], check=True, capture_output=True, text=True).stdout


def counted(revision: str) -> dict[str, int]:
    files = [path for path in git("ls-tree", "-r", "--name-only", revision).split() if _search(path)]
    return {path: len(git("show", f"{revision}:{path}").splitlines()) for path in files}


def _search(path: str) -> bool:
    return any(re.fullmatch(pattern, path) for pattern in PATTERNS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--at", default="HEAD", help="the revision counted as 'after' (default HEAD)")
    parser.add_argument("--files", action="store_true", help="list every file counted")
    arguments = parser.parse_args()
    first = git("log", "--reverse", "--format=%H", "--", "catalogue/search/sql").split()[0]
    for name, revision in (("before", f"{first}^"), ("after", arguments.at)):
        lines = counted(revision)
        print(f"{name:6} {git('rev-parse', '--short', revision).strip():>10}  {sum(lines.values()):6,} lines")
        if arguments.files:
            for path, count in sorted(lines.items()):
                print(f"         {count:6,}  {path}")


if __name__ == "__main__":
    main()
