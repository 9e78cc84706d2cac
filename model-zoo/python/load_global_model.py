#!/usr/bin/python3
"""Opens a PANCAIM-FL global model (a zoo checkpoint in safetensors) in Python with torch.

    load_global_model.py MODEL.safetensors                 list the model, config and tensors
    load_global_model.py MODEL.safetensors --input X.safetensors
        (mnist-cnn) run the model on the tensor "image" of X and print the logits as JSON

Needs torch, numpy and scripts/safetensors_reader.py from this repository (no `safetensors`
package). docs/models.md shows this file; tests/model-zoo/checkpoint_test.cc runs it.
"""
import argparse
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from safetensors_reader import load_torch  # noqa: E402


class MnistCnn(nn.Module):
    """The zoo's mnist-cnn (McMahan et al. 2017) with the same parameter names."""

    def __init__(self, in_channels=1, image_size=28, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 32, 5, padding=2)
        self.conv2 = nn.Conv2d(32, 64, 5, padding=2)
        self.fc1 = nn.Linear(64 * (image_size // 4) ** 2, 512)
        self.fc2 = nn.Linear(512, num_classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--input", help="safetensors file with a tensor 'image' (mnist-cnn)")
    args = parser.parse_args()

    tensors, metadata = load_torch(args.model)
    name = metadata["pancaim.model"]
    config = json.loads(metadata["pancaim.model_config"])
    if not args.input:
        print(f"{name} {json.dumps(config)}")
        for key, tensor in sorted(tensors.items()):
            print(f"  {key} {tuple(tensor.shape)} {tensor.dtype}")
        print(f"{sum(t.numel() for t in tensors.values())} parameters")
        return
    if name != "mnist-cnn":
        sys.exit(f"--input is implemented for mnist-cnn here, not {name}")
    model = MnistCnn(config["in_channels"], config["image_size"], config["num_classes"])
    model.load_state_dict(tensors, strict=True)  # names and shapes must match exactly
    model.eval()
    inputs, _ = load_torch(args.input)
    with torch.no_grad():
        logits = model(inputs["image"])
    print(json.dumps(logits.tolist()))


if __name__ == "__main__":
    main()
