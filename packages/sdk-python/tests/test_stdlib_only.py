"""The package imports nothing outside the standard library (and itself)."""

from __future__ import annotations

import ast
import pathlib
import sys
import unittest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "src" / "spendguard"

# sys.stdlib_module_names exists from Python 3.10; on 3.9 fall back to a list of what the SDK may use.
STDLIB = set(getattr(sys, "stdlib_module_names", ())) or {
    "__future__", "decimal", "email", "hashlib", "hmac", "http", "json", "logging", "math", "os", "random", "re",
    "socket", "time", "types", "typing", "urllib", "uuid",
}


class StdlibOnlyTest(unittest.TestCase):
    def test_every_import_is_stdlib_or_the_package(self) -> None:
        modules = sorted(PACKAGE.glob("*.py"))
        self.assertGreater(len(modules), 3)
        seen = set()
        for path in modules:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom):
                    if node.level > 0:
                        continue  # relative: the package itself
                    names = [node.module or ""]
                for name in names:
                    top = name.split(".")[0]
                    seen.add(top)
                    self.assertTrue(
                        top in STDLIB or top == "spendguard",
                        f"{path.name}:{node.lineno} imports {name!r}, which is not in the standard library",
                    )
        self.assertIn("urllib", seen)
        self.assertTrue((PACKAGE / "py.typed").exists())


if __name__ == "__main__":
    unittest.main()
