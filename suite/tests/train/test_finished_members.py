"""Members a hook reports finished keep the parameters they had then; the rest train on unchanged.

Label corruption measures each run at the epoch it fits, and the epochs after that train nothing
anyone reads; ``train`` drops such members from the stack once they are half of it. Dropping a
member must not move any other member's numbers (each member's step is its own), and a run
stopped after a drop must resume to the same end.
"""

from __future__ import annotations

import pytest
import torch

from suite.train.checkpoints import Checkpoint
from suite.train.engine import Member, Subsets
from suite.train.training import train

#: member -> the epoch the hook reports it finished (members 1 and 3 never: they train to the end)
FINISH = {0: 2, 2: 2, 4: 3, 5: 4}


def _problem(widths: list[int], own_labels: bool):
    torch.manual_seed(0)
    x = torch.rand(150, 784)
    members = [Member((w,), 10 + i, 20 + i % 3) for i, w in enumerate(widths)]
    table = torch.stack([torch.arange(0, 60), torch.arange(60, 120), torch.arange(90, 150)])
    subsets = Subsets(table, [(20 + i % 3) - 20 for i in range(len(members))])
    y = torch.randint(0, 10, (len(members), 60)) if own_labels else torch.randint(0, 10, (150,))
    return members, x, y, subsets


class _Hook:
    """Reports members finished at their FINISH epochs and keeps their parameters then."""

    def __init__(self) -> None:
        self.at_finish: dict[int, list[torch.Tensor]] = {}
        self.epochs: list[int] = []

    def __call__(self, epoch: int, params: list[torch.Tensor]) -> set[int]:
        self.epochs.append(epoch)
        done = {m for m, e in FINISH.items() if e <= epoch}
        for m in done - set(self.at_finish):
            self.at_finish[m] = [p[m].clone() for p in params]
        return done


@pytest.mark.parametrize(
    ("widths", "own_labels"),
    [([21] * 6, True), ([8, 30, 8, 16, 30, 4], False)],
    ids=["narrow-first-layers-own-labels", "mixed-widths"],
)
def test_unfinished_members_train_as_if_nobody_left(widths, own_labels):
    members, x, y, subsets = _problem(widths, own_labels)
    kwargs = dict(batch_size=20, lr=1e-2, epochs=6, subsets=subsets)
    alone = train(members, x, y, **kwargs)
    hook = _Hook()
    dropping = train(members, x, y, on_epoch=hook, **kwargs)
    for m in range(len(members)):
        for k, (a, b) in enumerate(zip(alone, dropping, strict=True)):
            if m in FINISH:  # its parameters as the hook saw them at its finish epoch
                assert torch.equal(b[m], hook.at_finish[m][k])
            else:
                # to 1e-6, not the bit: a smaller batched GEMM may sum in another order
                torch.testing.assert_close(b[m], a[m], rtol=0, atol=1e-6)
    assert hook.epochs == list(range(7))


def test_when_every_member_is_finished_training_ends():
    members, x, y, subsets = _problem([8, 8], own_labels=False)
    seen = []

    def all_at_two(epoch, params):
        seen.append(epoch)
        return {0, 1} if epoch >= 2 else set()

    train(members, x, y, batch_size=20, lr=1e-2, epochs=9, on_epoch=all_at_two, subsets=subsets)
    assert seen == [0, 1, 2]


def test_a_run_stopped_after_members_left_resumes_to_the_same_end(tmp_path):
    members, x, y, subsets = _problem([21] * 6, own_labels=True)
    kwargs = dict(batch_size=20, lr=1e-2, subsets=subsets)
    whole = train(members, x, y, epochs=7, on_epoch=_Hook(), **kwargs)
    ckpt = Checkpoint(tmp_path / "stage.pt")
    # stopped at epoch 5, after the drop at epoch 3 (3 of 6 finished then; 5 finished at 4)
    train(members, x, y, epochs=5, on_epoch=_Hook(), checkpoint=ckpt, checkpoint_every=1, **kwargs)
    saved = ckpt.load()
    assert saved["active"] == [1, 3, 5] and saved["finished"] == [0, 2, 4, 5]
    resumed = train(members, x, y, epochs=7, on_epoch=_Hook(), checkpoint=ckpt, **kwargs)
    for a, b in zip(whole, resumed, strict=True):
        assert torch.equal(a, b)
