"""Crash-safe writes: a temporary sibling, flushed to disk, then renamed over the target (as src/model/atomicFs.ts)."""
import json
import os
import secrets


def write_bytes_atomic(path, data):
    """Writes data to path so that readers see the old file or the whole new one, never a part."""
    directory, name = os.path.split(os.path.abspath(path))
    tmp = os.path.join(directory, f".{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def write_json_atomic(path, value):
    write_bytes_atomic(path, (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))


def remove_stale_temp_files(directory):
    """Temporary siblings left by a process killed mid-write (never read; safe to delete)."""
    if not os.path.isdir(directory):
        return
    for name in os.listdir(directory):
        if name.startswith(".") and name.endswith(".tmp"):
            try:
                os.remove(os.path.join(directory, name))
            except OSError:
                pass
