"""Shared helpers for the peer comparison scripts (run with Debian's /usr/bin/python3).

Nothing here imports numpy at module level: cosine_vs_numpy.py and membw.py must be able to clean
OpenBLAS environment variables before numpy (and with it OpenBLAS) is loaded.
"""
import json
import os
import platform
import shlex
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
DEFAULT_OUT_DIR = os.path.join(REPO_ROOT, "bench", "out", "peers")

# Variables set on the benchmark machine that force OpenBLAS onto a slower kernel (Haswell, small L2).
OPENBLAS_TRAP_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
_SAVED_PREFIX = "LSHK_PEERS_SAVED_"


def default_lshk_command():
    """`dotnet <repo>/src/Cli/bin/Release/net10.0/lshk.dll`, or the apphost next to it."""
    dll = os.path.join(REPO_ROOT, "src", "Cli", "bin", "Release", "net10.0", "lshk.dll")
    return "dotnet " + shlex.quote(dll)


def lshk_available(cmd):
    """True when `CMD search --help` runs and exits 0."""
    try:
        r = subprocess.run(shlex.split(cmd) + ["search", "--help"], capture_output=True, text=True,
                           timeout=120, env=original_env())
    except (OSError, subprocess.TimeoutExpired) as e:
        print(f"note: lshk not available ({cmd}): {e}", file=sys.stderr)
        return False
    if r.returncode != 0:
        msg = (r.stderr or r.stdout).strip().splitlines()
        print(f"note: lshk not available ({cmd}): exit {r.returncode}: {msg[-1] if msg else ''}", file=sys.stderr)
        return False
    return True


def run_lshk_search(cmd, support, query, k, workdir, tag, repeat=3, device="cpu", extra=""):
    """Runs `lshk search` and returns (indices, scores, stats, wall_seconds). Imports numpy lazily."""
    import numpy as np
    out_i = os.path.join(workdir, f"{tag}_I.npy")
    out_d = os.path.join(workdir, f"{tag}_D.npy")
    stats_path = os.path.join(workdir, f"{tag}_stats.json")
    for p in (out_i, out_d, stats_path):
        if os.path.exists(p):
            os.remove(p)
    argv = shlex.split(cmd) + ["search", "--support", support, "--query", query, "--k", str(k),
                               "--out", out_i, "--scores", out_d, "--stats", stats_path,
                               "--repeat", str(repeat)]
    if device:
        argv += ["--device", device]
    argv += shlex.split(extra)
    t0 = time.perf_counter()
    r = subprocess.run(argv, capture_output=True, text=True, env=original_env())
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError(f"lshk search failed (exit {r.returncode}): {' '.join(map(shlex.quote, argv))}\n"
                           f"{r.stderr.strip() or r.stdout.strip()}")
    with open(stats_path) as f:
        stats = json.load(f)
    return np.load(out_i), np.load(out_d), stats, wall


def clean_openblas_env_or_reexec():
    """Re-executes this script without OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE (remembering their values
    for child processes such as lshk) unless they are already gone. Call before importing numpy."""
    if "numpy" in sys.modules:
        raise RuntimeError("clean_openblas_env_or_reexec() must run before numpy is imported")
    present = [v for v in OPENBLAS_TRAP_VARS if v in os.environ]
    if not present:
        return
    env = dict(os.environ)
    for v in present:
        env[_SAVED_PREFIX + v] = env.pop(v)
    print(f"note: re-running without {', '.join(f'{v}={os.environ[v]}' for v in present)} "
          f"(they force slow OpenBLAS kernels); lshk still gets them", file=sys.stderr, flush=True)
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


def original_env():
    """The environment as it was before clean_openblas_env_or_reexec(), for child processes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SAVED_PREFIX)}
    for k, v in os.environ.items():
        if k.startswith(_SAVED_PREFIX):
            env[k[len(_SAVED_PREFIX):]] = v
    return env


def saved_trap_values():
    return {v: os.environ.get(_SAVED_PREFIX + v) for v in OPENBLAS_TRAP_VARS if os.environ.get(_SAVED_PREFIX + v)}


def blas_info():
    """Which BLAS numpy loaded, with its kernel ('architecture') and thread count."""
    try:
        from threadpoolctl import threadpool_info
        return [{k: d.get(k) for k in ("internal_api", "version", "architecture", "threading_layer",
                                        "num_threads", "filepath")} for d in threadpool_info()]
    except ImportError:
        import io
        import contextlib
        import numpy as np
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            np.show_config()
        return [{"show_config": buf.getvalue()}]


def limit_threads(n):
    """Limits BLAS/OpenMP pools to n threads; returns the threadpoolctl controller (keep it alive) or None."""
    try:
        from threadpoolctl import threadpool_limits
        return threadpool_limits(limits=n)
    except ImportError:
        return None


def machine_info():
    info = {"python": sys.executable, "python_version": platform.python_version(),
            "cpus": os.cpu_count(), "platform": platform.platform()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        info["affinity"] = len(os.sched_getaffinity(0))
    except AttributeError:
        pass
    return info


def _cpu_times():
    with open("/proc/stat") as f:
        vals = [int(v) for v in f.readline().split()[1:]]
    idle = vals[3] + (vals[4] if len(vals) > 4 else 0)  # idle + iowait
    return idle, sum(vals[:8])


def other_cpu_load(seconds=1.0):
    """Fraction (0..1) of all CPUs busy with other processes while this one sleeps; None if unknown."""
    try:
        i0, t0 = _cpu_times()
        time.sleep(seconds)
        i1, t1 = _cpu_times()
    except (OSError, ValueError, IndexError):
        return None
    return max(0.0, 1.0 - (i1 - i0) / max(1, t1 - t0))


def warn_if_busy(threshold=0.15):
    """Prints a warning when other processes keep the CPUs busy (timings would be unreliable); returns the load."""
    load = other_cpu_load()
    if load is not None and load > threshold:
        print(f"WARNING: other processes use {load:.0%} of the CPUs right now; timings will be unreliable",
              file=sys.stderr, flush=True)
    return load


def wait_for_quiet(max_wait, threshold=0.15):
    """Waits (up to max_wait seconds) until other processes use less than `threshold` of the CPUs.
    Returns the last load seen; 0 disables the wait."""
    if not max_wait:
        return None
    deadline = time.monotonic() + max_wait
    load = other_cpu_load(0.5)
    while load is not None and load > threshold and time.monotonic() < deadline:
        load = other_cpu_load(2.0)
    if load is not None and load > threshold:
        print(f"WARNING: still {load:.0%} CPU load from other processes after waiting {max_wait}s; timing anyway",
              file=sys.stderr, flush=True)
    return load


def add_quiet_option(parser):
    parser.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                        help="before each timed step, wait up to this long for other processes to leave the CPUs idle")


def best_of(fn, repeats):
    """Runs fn() `repeats` times; returns (best seconds, last result)."""
    best, result = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def write_json(path, obj):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)
    print(f"wrote {path}")


def print_table(rows, columns):
    """rows: list of dicts; columns: list of (key, header, format)."""
    cells = [[h for _, h, _ in columns]]
    for r in rows:
        cells.append([("-" if r.get(k) is None else (fmt.format(r[k]) if fmt else str(r[k])))
                      for k, _, fmt in columns])
    widths = [max(len(c[i]) for c in cells) for i in range(len(columns))]
    for j, row in enumerate(cells):
        print("  ".join(c.rjust(w) for c, w in zip(row, widths)))
        if j == 0:
            print("  ".join("-" * w for w in widths))
