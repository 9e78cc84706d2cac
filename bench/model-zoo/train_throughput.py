#!/usr/bin/python3
"""Python PyTorch baseline for bench-train-throughput: trains the same architectures as the C++
zoo's ct-cnn3d and mnist-cnn with the same batch size, threads, optimizer and data layout (a list of
per-sample tensors stacked per batch, like the C++ trainer's collation), and prints one JSON line:
{"model": ..., "samples_per_second": ..., "torch": ..., "threads": ...}.

Run with Debian's python3-torch (/usr/bin/python3), which wraps the same LibTorch as the C++ build.
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def groups(channels, wanted):
    import math
    return math.gcd(channels, wanted)


class ResBlock3d(nn.Module):
    def __init__(self, cin, cout, stride, g):
        super().__init__()
        self.conv1 = nn.Conv3d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.norm1 = nn.GroupNorm(groups(cout, g), cout)
        self.conv2 = nn.Conv3d(cout, cout, 3, padding=1, bias=False)
        self.norm2 = nn.GroupNorm(groups(cout, g), cout)
        self.shortcut_conv = None
        if stride != 1 or cin != cout:
            self.shortcut_conv = nn.Conv3d(cin, cout, 1, stride=stride, bias=False)
            self.shortcut_norm = nn.GroupNorm(groups(cout, g), cout)

    def forward(self, x):
        y = F.relu(self.norm1(self.conv1(x)))
        y = self.norm2(self.conv2(y))
        s = self.shortcut_norm(self.shortcut_conv(x)) if self.shortcut_conv is not None else x
        return F.relu(y + s)


class CtCnn3d(nn.Module):
    """Same layers as the zoo's ct-cnn3d with its default config (width 16, 3 stages, GroupNorm 8)."""

    def __init__(self, width=16, stages=3, g=8, classes=2):
        super().__init__()
        self.stem_conv = nn.Conv3d(1, width, 3, padding=1, bias=False)
        self.stem_norm = nn.GroupNorm(groups(width, g), width)
        blocks, cin = [], width
        for s in range(stages):
            cout = width << s
            blocks.append(ResBlock3d(cin, cout, 2 if s > 0 else 1, g))
            cin = cout
        self.stages = nn.ModuleList(blocks)
        self.classifier = nn.Linear(cin, classes)

    def forward(self, x):
        x = F.relu(self.stem_norm(self.stem_conv(x)))
        for b in self.stages:
            x = b(x)
        return self.classifier(x.mean(dim=(2, 3, 4)))


class MnistCnn(nn.Module):
    """McMahan et al. 2017 CNN, 1,663,370 parameters, as the zoo's mnist-cnn."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 5, padding=2)
        self.conv2 = nn.Conv2d(32, 64, 5, padding=2)
        self.fc1 = nn.Linear(3136, 512)
        self.fc2 = nn.Linear(512, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


def make_data(model, count, side):
    g = torch.Generator().manual_seed(1)
    if model == "ct-cnn3d":
        xs = [torch.randn(1, side, side, side, generator=g) * 0.2 for _ in range(count)]
        ys = [i % 2 for i in range(count)]
    else:
        xs = [torch.randn(1, 28, 28, generator=g) * 0.2 for _ in range(count)]
        ys = [i % 10 for i in range(count)]
    return xs, ys


def run(net, xs, ys, batch, steps, opt):
    order = torch.randperm(len(xs))
    pos = 0
    for _ in range(steps):
        if pos + batch > len(xs):
            order, pos = torch.randperm(len(xs)), 0
        idx = order[pos:pos + batch].tolist()
        pos += batch
        x = torch.stack([xs[i] for i in idx])
        y = torch.tensor([ys[i] for i in idx], dtype=torch.int64)
        opt.zero_grad()
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model", choices=["ct-cnn3d", "mnist-cnn"], required=True)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--samples", type=int, default=64)
    p.add_argument("--volume-side", type=int, default=32)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    net = CtCnn3d() if a.model == "ct-cnn3d" else MnistCnn()
    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    xs, ys = make_data(a.model, a.samples, a.volume_side)
    run(net, xs, ys, a.batch_size, a.warmup, opt)
    start = time.perf_counter()
    run(net, xs, ys, a.batch_size, a.steps, opt)
    seconds = time.perf_counter() - start
    print(json.dumps({"model": a.model, "samples_per_second": a.steps * a.batch_size / seconds,
                      "seconds": seconds, "torch": torch.__version__, "threads": torch.get_num_threads(),
                      "parameters": sum(p.numel() for p in net.parameters())}))


if __name__ == "__main__":
    main()
