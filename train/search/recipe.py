"""The recipe search behind best.yaml: ``python -m train.search.recipe GRID.json [DATA_ROOT] [VAL_SIZE]``.

Trains one torchlayers MLP per entry of a JSON grid on an ImageFolder CIFAR-10 tree (``DATA_ROOT``,
default ``data/cifar10-5k``) with the project's data module (validation split, normalisation,
crop + flip on the device) and the Classifier's recipe (SGD + Nesterov, one-cycle schedule, weight
decay on weight matrices), in a plain loop (fast on a GPU), and prints one JSON line per entry:
validation and test accuracy without / with test-time flip averaging, and the fit time.

Entry keys: hidden, act, dropout, input_dropout, ls (label smoothing), wd, lr, epochs, bs, pad,
opt (sgd | adamw), seed, zca (ZCA epsilon), prewhiten (whiten before augmenting, as the data
module's ``zca_epsilon`` does; otherwise the crop is whitened), mixup (Beta alpha), norm (``layer``:
LayerNorm on each hidden layer's scores), backend (``torch``: the torch.nn twin, the same
initialisation for the same seed).
"""

import json
import sys
import time
from pathlib import Path

import torch

import torchlayers.nn as tnn
from torchlayers.models import MLP
from train.data import CIFAR10DataModule, TensorLoader, normalise, zca_whitening

dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
torch.backends.cuda.matmul.allow_tf32 = True

ROOT = sys.argv[2] if len(sys.argv) > 2 else "data/cifar10-5k"
data = CIFAR10DataModule(
    root=ROOT, dataset="imagefolder", val_size=float(sys.argv[3]) if len(sys.argv) > 3 else 0.1
)
data.setup()
splits = {k: tuple(t.to(dev) for t in v) for k, v in data.splits.items()}
mean, std = data.mean.to(dev), data.std.to(dev)


def run(cfg):
    torch.manual_seed(cfg.get("seed", 0))
    net = MLP(
        3072,
        cfg["hidden"],
        10,
        cfg.get("act", "relu"),
        dropout=cfg.get("dropout", 0.0),
        input_dropout=cfg.get("input_dropout", 0.0),
        norm=cfg.get("norm"),
        backend=cfg.get("backend", "torchlayers"),
    ).to(dev)
    loss = torch.nn.CrossEntropyLoss if cfg.get("backend") == "torch" else tnn.CrossEntropyLoss
    crit = loss(label_smoothing=cfg.get("ls", 0.0))
    W = zca_whitening(splits["train"][0], mean, std, cfg["zca"]) if cfg.get("zca") else None
    epochs, bs = cfg["epochs"], cfg.get("bs", 256)
    train_images = splits["train"][0]
    m_, s_ = mean, std
    if cfg.get("prewhiten"):
        x = normalise(train_images, mean, std)
        train_images = (x.flatten(1) @ W).view_as(x)
        m_, s_ = torch.zeros_like(mean), torch.ones_like(std)
    loader = TensorLoader(
        train_images,
        splits["train"][1],
        m_,
        s_,
        bs,
        train=True,
        crop_padding=cfg.get("pad", 4),
        flip=True,
        seed=cfg.get("seed", 0),
        epoch=lambda: current[0],
    )
    decayed = [p for n, p in net.named_parameters() if p.dim() >= 2]
    rest = [p for n, p in net.named_parameters() if p.dim() < 2]
    groups = [{"params": decayed, "weight_decay": cfg.get("wd", 0.0)}, {"params": rest, "weight_decay": 0.0}]
    if cfg.get("opt", "sgd") == "sgd":
        opt = torch.optim.SGD(groups, lr=cfg["lr"], momentum=0.9, nesterov=True)
    else:
        opt = torch.optim.AdamW(groups, lr=cfg["lr"], betas=(0.9, 0.999))
    total = epochs * len(loader)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=cfg["lr"], total_steps=total, pct_start=cfg.get("warmup", 0.2), cycle_momentum=False
    )
    t0 = time.perf_counter()
    current = [0]  # the loader's epoch (its shuffle and augmentation seed)
    for epoch in range(epochs):
        current[0] = epoch
        net.train()
        for x, y in loader:
            x = x.flatten(1)
            if W is not None and not cfg.get("prewhiten"):
                x = x @ W
            if cfg.get("mixup"):
                lam = torch.distributions.Beta(cfg["mixup"], cfg["mixup"]).sample().item()
                perm = torch.randperm(len(x), device=x.device)
                x = lam * x + (1 - lam) * x[perm]
                t = torch.nn.functional.one_hot(y, 10).float()
                y = lam * t + (1 - lam) * t[perm]
            loss = crit(net(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    fit = time.perf_counter() - t0
    net.eval()
    out = {}
    with torch.no_grad():
        for split in ("val", "test"):
            imgs, labels = splits[split]
            accs = []
            for flip in (False, True):
                x = normalise(imgs, mean, std)
                s = net(x.flatten(1) @ W if W is not None else x.flatten(1))
                xf = x.flip(-1).flatten(1)
                s2 = net(xf @ W if W is not None else xf)
                pred = ((s + s2) if flip else s).argmax(1)
                accs.append((pred == labels).float().mean().item())
            out[split] = accs
    return {**cfg, "val": out["val"], "test": out["test"], "fit_s": round(fit, 1)}


if __name__ == "__main__":
    grid = json.loads(Path(sys.argv[1]).read_text())
    for cfg in grid:
        r = run(cfg)
        print(json.dumps(r), flush=True)
