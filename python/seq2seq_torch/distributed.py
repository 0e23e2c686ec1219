"""
The process group, set up from what torchrun puts in the environment (RANK, WORLD_SIZE,
LOCAL_RANK, MASTER_ADDR/PORT): NCCL when the process has a GPU, Gloo on the CPU. Run without
torchrun, the script is one plain process and every collective is the identity.
"""
import datetime
import os

import torch
import torch.distributed as dist


class Distributed:
    def __init__(self, device="auto"):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        self.local_world = int(os.environ.get("LOCAL_WORLD_SIZE", str(self.world)))
        self.restart = int(os.environ.get("TORCHELASTIC_RESTART_COUNT", "0"))
        cuda = torch.cuda.is_available() if device == "auto" else device == "cuda"
        if cuda and not torch.cuda.is_available():
            raise SystemExit("--device cuda: this process sees no GPU (torch.cuda.is_available() is false)")
        if cuda:
            torch.cuda.set_device(self.local_rank % torch.cuda.device_count())
            self.device = torch.device("cuda", torch.cuda.current_device())
        else:
            self.device = torch.device("cpu")
        self.backend = "nccl" if cuda else "gloo"
        self.active = "RANK" in os.environ and self.world > 1
        if self.active:
            dist.init_process_group(self.backend, timeout=datetime.timedelta(minutes=30))

    @property
    def is_main(self):
        return self.rank == 0

    def sum(self, values):
        """Element-wise sum over all processes of a list of numbers (float64)."""
        t = torch.tensor(values, dtype=torch.float64, device=self.device)
        if self.active:
            dist.all_reduce(t)
        return t.tolist()

    def broadcast(self, obj):
        """rank 0's object, on every process."""
        if not self.active:
            return obj
        box = [obj]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def close(self):
        if self.active:
            dist.destroy_process_group()
