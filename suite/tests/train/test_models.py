"""The model seam (``suite.train.models``): a generic ``nn.Module`` stack trains to the reference
loop's numbers, its members are independent, dropout is reproducible, and the experiments run
on a registered model, at toy sizes on synthetic data of another shape than MNIST's."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import pandas as pd
import pytest
import torch
from torch import nn

from suite.data.splits import MnistSplits
from suite.experiments.common import METRICS
from suite.experiments.random_labels import run_random_labels
from suite.experiments.width_sweep import run_width_sweep
from suite.measures.sensitivity import sensitivity
from suite.profiles import RandomLabels, WidthSweep
from suite.train import reference
from suite.train.checkpoints import Checkpoint
from suite.train.engine import Member, forward, init_params
from suite.train.evaluation import evaluate
from suite.train.models import (
    MLP,
    FuncModel,
    Model,
    model_named,
    register_model,
    registered_models,
)
from suite.train.training import train

IN, CLASSES = 20, 3


def data(n: int = 240, dtype: torch.dtype = torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return torch.rand(n, IN, generator=g, dtype=dtype), torch.randint(0, CLASSES, (n,), generator=g)


def sequential(hidden: tuple[int, ...], in_features: int, classes: int) -> nn.Module:
    return nn.Sequential(
        nn.Linear(in_features, hidden[0]), nn.ReLU(), nn.Linear(hidden[0], classes)
    )


def deep(hidden: tuple[int, ...], in_features: int, classes: int) -> nn.Module:
    sizes = [in_features, *hidden]
    layers: list[nn.Module] = []
    for a, b in pairwise(sizes):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(sizes[-1], classes))


def dropping(hidden: tuple[int, ...], in_features: int, classes: int) -> nn.Module:
    return nn.Sequential(
        nn.Linear(in_features, hidden[0]), nn.ReLU(), nn.Dropout(0.3), nn.Linear(hidden[0], classes)
    )


def members(k: int = 3, hidden: tuple[int, ...] = (16,)) -> list[Member]:
    return [Member(hidden, init_seed=10 + i, data_seed=20 + i) for i in range(k)]


def fit(model: FuncModel, ms: list[Member], x, y, epochs: int = 3, **kw) -> list[torch.Tensor]:
    init = [p.to(x.dtype) for p in model.init(ms, in_features=IN, classes=CLASSES)]
    return train(
        ms,
        x,
        y,
        batch_size=32,
        lr=3e-3,
        epochs=epochs,
        params=init,
        model=model,
        classes=CLASSES,
        **kw,
    )


def tiny(hidden: tuple[int, ...], in_features: int, classes: int) -> nn.Module:
    return deep(hidden, in_features, classes)


def synthetic_splits(n_train: int = 120, n_test: int = 60) -> MnistSplits:
    g = torch.Generator().manual_seed(1)
    x = torch.rand(n_train + n_test, IN, generator=g)
    y = torch.randint(0, CLASSES, (n_train + n_test,), generator=g)
    return MnistSplits(
        x[:n_train],
        y[:n_train],
        x[:0],
        y[:0],
        x[n_train:],
        y[n_train:],
        "synthetic",
        Path("."),
        name="synthetic",
        classes=CLASSES,
    )


@pytest.fixture(scope="module")
def tiny_model() -> FuncModel:
    return register_model("tiny-mlp", FuncModel(tiny, "tiny-mlp"), replace=True)


@pytest.mark.parametrize(("dtype", "tol"), [(torch.float64, 1e-6), (torch.float32, 1e-5)])
def test_a_func_model_stack_trains_to_the_reference_loops_numbers(dtype, tol):
    x, y = data(dtype=dtype)
    model = FuncModel(sequential, "seq")
    ms = members()
    init = [p.to(dtype) for p in model.init(ms, in_features=IN, classes=CLASSES)]
    stacked = train(
        ms, x, y, batch_size=32, lr=3e-3, epochs=3, params=init, model=model, classes=CLASSES
    )
    loss, acc = evaluate(stacked, x, y, model=model)
    for i, m in enumerate(ms):
        ref = sequential(m.hidden, IN, CLASSES).to(dtype)
        with torch.no_grad():
            for p, start in zip(ref.parameters(), init, strict=True):
                p.copy_(start[i])
        reference.train(ref, x, y, batch_size=32, lr=3e-3, epochs=3, data_seed=m.data_seed)
        for p, got in zip(ref.parameters(), stacked, strict=True):
            torch.testing.assert_close(got[i], p.detach(), atol=tol, rtol=0)
        ref_loss, ref_acc = reference.evaluate(ref, x, y)
        assert float(loss[i]) == pytest.approx(ref_loss, abs=tol)
        assert float(acc[i]) == pytest.approx(ref_acc, abs=1e-9)


def test_each_member_starts_from_its_own_seed_alone():
    model = FuncModel(sequential, "seq")
    stack = model.init(members(3), in_features=IN, classes=CLASSES)
    torch.manual_seed(12345)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(11)
        alone = sequential((16,), IN, CLASSES)
    for p, got in zip(alone.parameters(), stack, strict=True):
        assert torch.equal(got[1], p.detach())
    assert not torch.equal(stack[0][0], stack[0][1])


def test_a_members_training_does_not_depend_on_its_stack_mates():
    x, y = data()
    model = FuncModel(sequential, "seq")
    a, b, c = members(3)
    first = fit(model, [a, b], x, y)
    second = fit(model, [c, a], x, y)
    for p, q in zip(first, second, strict=True):
        torch.testing.assert_close(p[0], q[1], atol=1e-12, rtol=0)


def test_dropout_is_reproducible_for_a_seed_and_differs_across_members():
    x, y = data()
    model = FuncModel(dropping, "drop")
    twin = Member((16,), init_seed=5, data_seed=6)
    once = fit(model, [twin, twin], x, y, epochs=2)
    again = fit(model, [twin, twin], x, y, epochs=2)
    for p, q in zip(once, again, strict=True):
        assert torch.equal(p, q)
    # the same init and batch order, different masks
    assert not torch.equal(once[0][0], once[0][1])
    # without dropout, twins stay twins; evaluation (dropout off) is deterministic
    plain = fit(FuncModel(sequential, "seq"), [twin, twin], x, y, epochs=2)
    assert torch.equal(plain[0][0], plain[0][1])
    first, second = evaluate(once, x, y, model=model), evaluate(once, x, y, model=model)
    assert torch.equal(first[0], second[0]) and torch.equal(first[1], second[1])


def test_dropout_stacks_trained_in_two_threads_give_their_sequential_numbers():
    # the session's plan trains experiments in threads on CUDA; both draw dropout masks from
    # the process-wide generator, which models.GLOBAL_RNG keeps from interleaving
    import threading

    x, y = data()
    model = FuncModel(dropping, "drop")
    stacks = [members(3), [Member((16,), init_seed=50 + i, data_seed=60 + i) for i in range(3)]]
    alone = [fit(model, ms, x, y, epochs=3) for ms in stacks]
    for _ in range(3):
        together: list = [None, None]

        def run(k: int) -> None:
            together[k] = fit(model, stacks[k], x, y, epochs=3)  # noqa: B023

        threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for got, want in zip(together, alone, strict=True):
            assert all(torch.equal(p, q) for p, q in zip(got, want, strict=True))


def test_a_resumed_generic_run_ends_with_the_uninterrupted_numbers(tmp_path):
    x, y = data()
    model = FuncModel(dropping, "drop")
    ms = members(2)
    whole = fit(model, ms, x, y, epochs=4)

    def killed(epoch, params):
        if epoch == 3:
            raise KeyboardInterrupt

    checkpoint = Checkpoint(tmp_path / "train.pt")
    with pytest.raises(KeyboardInterrupt):
        fit(model, ms, x, y, epochs=4, on_epoch=killed, checkpoint=checkpoint, checkpoint_every=1)
    assert checkpoint.load()["epoch"] == 2
    resumed = fit(model, ms, x, y, epochs=4, checkpoint=checkpoint, checkpoint_every=1)
    for p, q in zip(whole, resumed, strict=True):
        assert torch.equal(p, q)


def test_a_finished_member_keeps_its_parameters_and_training_ends_when_all_are():
    x, y = data()
    model = FuncModel(sequential, "seq")
    seen: dict[int, list[torch.Tensor]] = {}

    def hook(epoch, params):
        seen[epoch] = params
        return {0} if epoch == 1 else ({1} if epoch == 2 else None)

    final = fit(model, members(2), x, y, epochs=5, on_epoch=hook)
    assert max(seen) == 2  # both finished: training ended
    for p, at1, at2 in zip(final, seen[1], seen[2], strict=True):
        assert torch.equal(p[0], at1[0]) and torch.equal(p[1], at2[1])


def test_modules_with_buffers_are_refused():
    def normed(hidden, in_features, classes):
        return nn.Sequential(nn.Linear(in_features, hidden[0]), nn.BatchNorm1d(hidden[0]))

    with pytest.raises(ValueError, match="buffers"):
        FuncModel(normed, "bn").init(members(1), in_features=IN, classes=CLASSES)


def test_a_stack_of_mixed_hidden_is_refused_and_stacks_group_by_hidden():
    model = FuncModel(deep, "deep")
    ms = [Member((3,), 1, 1), Member((5,), 2, 2), Member((3,), 3, 3), Member((7,), 4, 4)]
    assert model.stacks(ms) == [[0, 2], [1], [3]]
    assert MLP().stacks(ms) == [[0, 1, 2, 3]]
    with pytest.raises(ValueError, match="same hidden"):
        model.init(ms, in_features=IN, classes=CLASSES)


def test_the_registry_knows_the_mlp_and_names_the_known_models_on_a_miss():
    assert isinstance(model_named("mlp"), MLP)
    assert isinstance(model_named("mlp"), Model)
    with pytest.raises(ValueError, match=r"known models: .*mlp"):
        model_named("no-such-model")
    model = FuncModel(sequential, "seq-registry")
    assert register_model("seq-registry", model) is model
    assert "seq-registry" in registered_models()
    with pytest.raises(ValueError, match="already registered"):
        register_model("seq-registry", FuncModel(sequential, "other"))
    with pytest.raises(ValueError, match="built-in"):
        register_model("mlp", FuncModel(sequential, "mlp"))
    with pytest.raises(TypeError):
        register_model("junk", object())  # type: ignore[arg-type]


def test_the_mlp_model_is_the_engine():
    ms = members(2, hidden=(7, 5))
    params = MLP().init(ms, in_features=IN, classes=CLASSES)
    for p, q in zip(params, init_params(ms, in_features=IN, classes=CLASSES), strict=True):
        assert torch.equal(p, q)
    x, _ = data(dtype=torch.float32)
    assert torch.equal(MLP().forward(params, x), forward(params, x))
    assert MLP().n_params(ms[0]) == ms[0].n_params  # MNIST's shape by default
    assert FuncModel(deep, "d").n_params(ms[0], in_features=IN, classes=CLASSES) == MLP().n_params(
        ms[0], in_features=IN, classes=CLASSES
    )


def test_sensitivity_of_a_func_model_equals_the_mlps_on_the_same_weights():
    x, _ = data(n=40)
    model = FuncModel(sequential, "seq")
    stack = [p.double() for p in model.init(members(2), in_features=IN, classes=CLASSES)]
    as_mlp = [
        p.transpose(1, 2) if p.dim() == 3 else p for p in stack
    ]  # (M, out, in) -> (M, in, out)
    torch.testing.assert_close(
        sensitivity(stack, x, chunk=16, model=model), sensitivity(as_mlp, x, chunk=16)
    )
    torch.testing.assert_close(
        evaluate(stack, x, data(n=40)[1], model=model), evaluate(as_mlp, x, data(n=40)[1])
    )


def test_every_measure_of_a_func_model_equals_the_mlps_on_the_same_weights():
    # measure_generalization hands the model to the measures: sensitivity and sharpness of a
    # FuncModel are those of the MLP with the same weights
    from types import SimpleNamespace

    from suite.experiments.common import measure_generalization

    x, y = data(n=60)
    model = FuncModel(sequential, "seq")
    stack = [p.double() for p in model.init(members(2), in_features=IN, classes=CLASSES)]
    as_mlp = [p.transpose(1, 2) if p.dim() == 3 else p for p in stack]
    cfg = SimpleNamespace(sharpness_n=30, sharpness_eps=1e-3, sharpness_steps=3, sharpness_step=0.1)
    keys = [{"seed": 0}, {"seed": 1}]
    args = ((x, y), (x, y), x, cfg, keys, "test")
    generic = measure_generalization(stack, *args, model=model)
    mlp = measure_generalization(as_mlp, *args)
    for a, b in zip(generic, mlp, strict=True):
        for column in ("test_loss", "gap", "sensitivity", "sharpness"):
            assert a[column] == pytest.approx(b[column], rel=1e-9, abs=1e-12), column


def test_random_labels_runs_on_a_registered_model(tiny_model):
    cfg = RandomLabels(n_train=60, hidden=(8,), epochs=3, batch_size=20, eval_every=1)
    cfg = replace(cfg, model="tiny-mlp")
    result = run_random_labels(cfg, synthetic_splits(), seeds=2)
    frame = result.frames["epochs"]
    assert list(frame.columns) == ["seed", "epoch", *METRICS, "chance_ref"]
    assert sorted(set(frame["epoch"])) == [0, 1, 2, 3] and len(frame) == 8
    assert result.extra["params"] == tiny_model.n_params(
        Member((8,), 0, 0), in_features=IN, classes=CLASSES
    )
    assert result.config["model"] == "tiny-mlp"
    assert frame[METRICS].notna().all().all()


def test_the_width_sweep_trains_a_generic_model_one_stack_per_width_in_member_order(tiny_model):
    data_ = synthetic_splits()
    cfg = WidthSweep(n_train=80, widths=(3, 5), depth=2, epochs=2, batch_size=20, eval_every=1)
    mlp = run_width_sweep(cfg, data_, seeds=2).frames["epochs"]
    generic = run_width_sweep(replace(cfg, model="tiny-mlp"), data_, seeds=2)
    frame = generic.frames["epochs"]
    keys = ["seed", "width", "params", "epoch"]
    assert list(frame.columns) == list(mlp.columns)
    pd.testing.assert_frame_equal(frame[keys], mlp[keys])  # same rows, order and sizes
    assert sorted(generic.weights) == ["train-3x3", "train-5x5"]
    # a width's rows are those of a sweep of that width alone
    alone = run_width_sweep(replace(cfg, model="tiny-mlp", widths=(5,)), data_, seeds=2)
    five = frame[frame["width"] == 5].reset_index(drop=True)
    pd.testing.assert_frame_equal(five, alone.frames["epochs"])


def test_splits_keep_their_name_and_class_count_on_another_device():
    splits = synthetic_splits()
    moved = splits.to("meta")
    assert (moved.name, moved.classes) == ("synthetic", CLASSES)


def test_under_load_a_dropout_stack_trains_on_fewer_threads_to_the_same_bits(monkeypatch):
    from suite.train import threads

    class Busy:
        cpus, last = (0, 1), 1.0

        def others(self) -> float:
            return 1.0

        def recent(self) -> float:
            return 1.0

    x, y = data(dtype=torch.float32)
    model = FuncModel(dropping, "drop")
    saved = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        monkeypatch.setenv(threads.ENV, "0")
        fixed = fit(model, members(3), x, y, epochs=3)
        monkeypatch.setenv(threads.ENV, "1")
        monkeypatch.setattr(threads, "shared_load", Busy)
        from suite.train import generic

        seen: list[int] = []
        step = generic.GenericStep.__call__

        def counted(self, idx):
            seen.append(torch.get_num_threads())
            return step(self, idx)

        monkeypatch.setattr(generic.GenericStep, "__call__", counted)
        adapted = fit(model, members(3), x, y, epochs=3)
    finally:
        torch.set_num_threads(saved)
    # the training steps ran on one thread (the check's steps at 2, then at 1, come first)
    assert seen[-1] == 1 and seen.count(1) > len(seen) // 2
    assert all(torch.equal(a, b) for a, b in zip(fixed, adapted, strict=True))
