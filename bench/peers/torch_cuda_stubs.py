"""Make PyPI's torch wheel import on a CPU-only venv without the NVIDIA wheels.

PyPI has one torch build for Linux x86_64, linked against CUDA: its libraries (libtorch_cpu.so included) list
libcudart, libcublas, libcudnn, ... as DT_NEEDED, and pip would bring them in as nvidia-* wheels, several GB.
PyTorch's CPU-only wheels live on PyTorch's own index, which this project cannot reach. So scripts/bench.sh
installs torch with --no-deps and runs this script, which writes a tiny stand-in for each missing CUDA library
into torch/lib (on the libraries' $ORIGIN rpath): it exports exactly the symbols (and symbol versions) torch
imports from that library, and every function returns a CUDA error code, so torch sees no GPU
(torch.cuda.is_available() is False, without a warning) while every CPU operator is PyTorch's own, unchanged.

Usage: python torch_cuda_stubs.py   (with the bench venv's python; rerunning rewrites the stubs)
"""

import glob
import os
import re
import subprocess
import sys
import tempfile

# cudaErrorNoDevice and CUDA_ERROR_NO_DEVICE are both 100 (and 100 is an error status for cuBLAS, cuDNN, NCCL,
# ...): torch reads it as "no GPU here", silently, and nothing mistakes a stub for a working call.
ERROR = 100


def readelf(*args):
    return subprocess.run(["readelf", "-W", *args], check=True, capture_output=True, text=True).stdout


def needed(lib):
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", readelf("-d", lib))


def version_files(lib):
    """Maps each version name lib requires to the file (soname) that must define it."""
    out, current = {}, None
    section = readelf("-V", lib).split(".gnu.version_r", 1)
    for line in section[1].splitlines() if len(section) > 1 else []:
        if m := re.search(r"File: (\S+)", line):
            current = m.group(1)
        elif (m := re.search(r"Name: (\S+)", line)) and current:
            out[m.group(1)] = current
    return out


def dyn_syms(lib):
    """Yields (name, version or None, type, bind, undefined) for each dynamic symbol."""
    for line in readelf("--dyn-syms", lib).splitlines():
        parts = line.split()
        if len(parts) < 8 or not parts[0].rstrip(":").isdigit():
            continue
        typ, bind, ndx, name = parts[3], parts[4], parts[6], parts[7]
        name, _, version = name.partition("@")
        yield name, version.lstrip("@") or None, typ, bind, ndx == "UND"


def resolvable(soname, libdir):
    if os.path.exists(os.path.join(libdir, soname)):
        return True
    # The system's libraries (glibc, libstdc++, ...): known to ldconfig or in the usual directories.
    if any(os.path.exists(os.path.join(d, soname)) for d in ("/lib", "/usr/lib", "/lib64", "/usr/lib64",
                                                              "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu")):
        return True
    return soname in subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout


def main():
    import importlib.util

    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("torch is not installed in this interpreter's environment")
    root = spec.submodule_search_locations[0]
    libdir = os.path.join(root, "lib")
    # Stubs of an earlier run are made again, so that a change to this script reaches them.
    stamp = os.path.join(libdir, "CUDA_STUBS")
    if os.path.exists(stamp):
        for name in open(stamp).read().split():
            if os.path.exists(os.path.join(libdir, name)):
                os.remove(os.path.join(libdir, name))
        os.remove(stamp)
    libs = sorted(glob.glob(os.path.join(libdir, "*.so*")) + glob.glob(os.path.join(root, "_C*.so")))
    ours = {os.path.basename(p) for p in glob.glob(os.path.join(libdir, "*.so*"))}

    missing = sorted({n for lib in libs for n in needed(lib) if n not in ours and not resolvable(n, libdir)})
    if not missing:
        print("torch: no CUDA library missing, nothing to stub")
        return

    defined = set()
    wanted = {m: {} for m in missing}  # soname -> {name: (version, type)}
    unversioned = {}
    for lib in libs:
        files = version_files(lib)
        for name, version, typ, bind, und in dyn_syms(lib):
            if not und:
                defined.add(name)
                continue
            if not name or bind == "WEAK":
                continue
            if version and files.get(version) in wanted:
                wanted[files[version]][name] = (version, typ)
            elif version is None:
                unversioned[name] = typ
    # Unversioned imports come from the unversioned CUDA libraries (NCCL, cuSPARSELt, cuFile, NVSHMEM, the
    # driver): every stub exports them and the first one loaded serves them. Only CUDA's own names qualify:
    # the other unversioned imports (the Python C API, some C++ runtime) must stay the process's.
    cuda_name = re.compile(r"^(nccl|cusparseLt|cuFile|nvshmem|cu[A-Z])")
    unversioned = {n: t for n, t in unversioned.items() if n not in defined and cuda_name.match(n)}

    with tempfile.TemporaryDirectory() as tmp:
        for soname in missing:
            syms = dict(wanted[soname])
            for n, t in unversioned.items():
                syms.setdefault(n, (None, t))
            src, vers = [f"/* stand-in for {soname}: no CUDA in this venv */"], {}
            src.append('static const char msg[] = "CUDA is not available (stub library, CPU-only venv)";')
            for name, (version, typ) in sorted(syms.items()):
                if typ == "OBJECT":
                    src.append(f"char {name}[256];")
                elif re.search(r"(Error|Status|Result)(String|Name)", name):
                    src.append(f"const char *{name}(void) {{ return msg; }}")
                else:
                    src.append(f"long {name}(void) {{ return {ERROR}; }}")
                vers.setdefault(version, []).append(name)
            script = []
            for version, names in vers.items():
                if version:
                    script.append(f"{version} {{ global: {' '.join(f'{n};' for n in names)} }};")
            c = os.path.join(tmp, soname + ".c")
            with open(c, "w") as f:
                f.write("\n".join(src) + "\n")
            cmd = ["cc", "-shared", "-fPIC", "-O1", "-w", "-fno-builtin", "-o", os.path.join(libdir, soname),
                   c, f"-Wl,-soname,{soname}"]
            if script:
                vs = os.path.join(tmp, soname + ".map")
                with open(vs, "w") as f:
                    f.write("\n".join(script) + "\n")
                cmd.append(f"-Wl,--version-script={vs}")
            subprocess.run(cmd, check=True)
    with open(stamp, "w") as f:
        f.write("\n".join(missing) + "\n")
    print(f"torch: wrote CPU-only stand-ins for {len(missing)} CUDA libraries: {' '.join(missing)}")


if __name__ == "__main__":
    main()
