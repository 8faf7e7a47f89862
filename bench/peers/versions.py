"""Prints the versions of the Python side as JSON (package metadata only: nothing heavy is imported)."""

import json
import platform
from importlib.metadata import PackageNotFoundError, version


def main():
    out = {"python": platform.python_version()}
    for name in ("jax", "jaxlib", "torch", "tensorflow-cpu", "keras", "numpy"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    print(json.dumps(out))


if __name__ == "__main__":
    main()
