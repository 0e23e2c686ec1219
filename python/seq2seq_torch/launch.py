"""
`torchrun`, for PyTorch versions whose own needs help: `python -m seq2seq_torch.launch` takes
torchrun's arguments and runs torchrun's own code (torch.distributed.run) with two fixes for
PyTorch 1.x, such as Debian 12's python3-torch 1.13:

- the hyphenated spellings of torch 2 (--nproc-per-node, --rdzv-endpoint, --max-restarts, ...) are
  accepted besides the underscored ones torch 1.x knows;
- on Python 3.11, torch 1.13's torchrun fails at start ("'NoneType' object has no attribute 'get'")
  because its parser of --redirects/--tee values misses the values 0 and 3; they are parsed here.

With PyTorch 2 it is plain torchrun.
"""
import re
import sys

from torch.distributed import run
from torch.distributed.elastic.multiprocessing import api

# torchrun options that take a value (underscored, as torch 1.x names them).
_VALUE_OPTIONS = {"--nnodes", "--nproc_per_node", "--rdzv_backend", "--rdzv_endpoint", "--rdzv_id", "--rdzv_conf",
                  "--max_restarts", "--monitor_interval", "--start_method", "--role", "--log_dir", "-r", "--redirects",
                  "-t", "--tee", "--node_rank", "--master_addr", "--master_port", "--local_addr"}


def launcher_args(argv):
    """torchrun's arguments with option names spelled as torch 1.x wants; the script's own arguments untouched."""
    out, i = [], 0
    while i < len(argv):
        arg = argv[i]
        if not arg.startswith("-"):
            return out + argv[i:]
        name, eq, value = arg.partition("=")
        if name.startswith("--"):
            name = "--" + name[2:].replace("-", "_")
        out.append(name + eq + value)
        if name in _VALUE_OPTIONS and not eq and i + 1 < len(argv):
            out.append(argv[i + 1])
            i += 1
        i += 1
    return out


def _std_from_str(vm):
    if re.fullmatch(r"\d", vm):
        return api.Std(int(vm))
    if re.fullmatch(r"(\d:\d,)*(\d:\d)", vm):
        return {int(k): api.Std(int(v)) for k, v in (m.split(":") for m in vm.split(","))}
    raise ValueError(f"{vm} does not match: <{api._VALUE_REGEX}> or <{api._MAPPING_REGEX}>")


def main(argv=None):
    if api.Std.from_str("0") is None:
        api.Std.from_str = staticmethod(_std_from_str)
    run.main(launcher_args(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    main()
