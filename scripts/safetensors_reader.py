#!/usr/bin/env python3
"""Reads safetensors files (models, checkpoints and updates written by PANCAIM-FL) in Python.

Needs only the standard library and numpy; returns torch tensors when torch is importable and
asked for. It exists so that a researcher can open any model we write without installing the
`safetensors` package, and so that the C++ codec is checked against an independent reader
(tests/tensorio/safetensors_python_test.cc).

Format (https://github.com/huggingface/safetensors): an 8-byte little-endian header length N,
N bytes of JSON {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}},
then the raw little-endian data; offsets are relative to the start of the data section.

Library use:
    from safetensors_reader import load, load_torch
    tensors, metadata = load("model.safetensors")        # dict of numpy arrays, dict of str
    tensors, metadata = load_torch("model.safetensors")  # dict of torch tensors

BF16 has no numpy dtype: load() returns it widened to float32 (exactly); load_torch() returns
torch.bfloat16.

Command line:
    safetensors_reader.py FILE            one line per tensor: name, dtype, shape
    safetensors_reader.py --json FILE     every tensor's dtype, shape and values as JSON
    safetensors_reader.py --json --torch FILE   the same, decoded through torch
Exit status: 0 success, 1 unreadable or malformed file, 3 --torch without torch installed.
"""

import argparse
import json
import struct
import sys

import numpy as np

MAX_HEADER_BYTES = 100 << 20

# safetensors dtype -> (numpy dtype, bytes per element); BF16 is read as uint16 and widened.
NUMPY_DTYPES = {
    "F64": (np.dtype("<f8"), 8),
    "F32": (np.dtype("<f4"), 4),
    "F16": (np.dtype("<f2"), 2),
    "BF16": (np.dtype("<u2"), 2),
    "I64": (np.dtype("<i8"), 8),
    "I32": (np.dtype("<i4"), 4),
    "I16": (np.dtype("<i2"), 2),
    "I8": (np.dtype("i1"), 1),
    "U8": (np.dtype("u1"), 1),
    "BOOL": (np.dtype("?"), 1),
}


class SafetensorsError(ValueError):
    """A malformed file; the message names the field."""


def _parse_header(buffer):
    if len(buffer) < 8:
        raise SafetensorsError("truncated: no 8-byte header length")
    (length,) = struct.unpack("<Q", buffer[:8])
    if length > MAX_HEADER_BYTES or 8 + length > len(buffer):
        raise SafetensorsError(f"header length {length} is too large or past the end")
    try:
        header = json.loads(bytes(buffer[8:8 + length]).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SafetensorsError(f"header is not valid JSON: {error}") from None
    if not isinstance(header, dict):
        raise SafetensorsError("header is not a JSON object")
    return header, 8 + length


def _entries(header, data_bytes):
    """Yields (name, dtype, shape, begin, end) in data order, after checking the layout."""
    entries = []
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        dtype = entry.get("dtype")
        if dtype not in NUMPY_DTYPES:
            raise SafetensorsError(f"tensor '{name}': unsupported dtype {dtype!r}")
        shape = entry.get("shape")
        if not isinstance(shape, list) or any(not isinstance(d, int) or d < 0 for d in shape):
            raise SafetensorsError(f"tensor '{name}': bad shape {shape!r}")
        offsets = entry.get("data_offsets")
        if not isinstance(offsets, list) or len(offsets) != 2:
            raise SafetensorsError(f"tensor '{name}': data_offsets must be [begin, end]")
        begin, end = offsets
        count = 1
        for dim in shape:
            count *= dim
        if end - begin != count * NUMPY_DTYPES[dtype][1]:
            raise SafetensorsError(f"tensor '{name}': data_offsets do not match dtype and shape")
        entries.append((name, dtype, shape, begin, end))
    entries.sort(key=lambda e: (e[3], e[4]))
    position = 0
    for name, _, _, begin, end in entries:
        if begin != position:
            raise SafetensorsError(f"tensor '{name}': not contiguous with the previous tensor")
        position = end
    if position != data_bytes:
        raise SafetensorsError("data section length does not match the tensors")
    return entries


def _read(path):
    with open(path, "rb") as file:
        buffer = memoryview(file.read())
    header, data_start = _parse_header(buffer)
    metadata = header.get("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise SafetensorsError("__metadata__ must map names to strings")
    return buffer, data_start, _entries(header, len(buffer) - data_start), dict(metadata)


def load(path):
    """Returns ({name: numpy array}, metadata). Arrays are read-only views of the file's bytes,
    except BF16 tensors, which are widened to float32 copies."""
    buffer, start, entries, metadata = _read(path)
    tensors = {}
    for name, dtype, shape, begin, end in entries:
        array = np.frombuffer(buffer[start + begin:start + end], dtype=NUMPY_DTYPES[dtype][0])
        if dtype == "BF16":
            array = (array.astype(np.uint32) << 16).view(np.float32)
        tensors[name] = array.reshape(shape)
    return tensors, metadata


def load_torch(path):
    """Returns ({name: torch tensor}, metadata) with the file's exact dtypes (bfloat16 included).
    Raises ImportError when torch is not installed."""
    import torch  # optional dependency

    torch_dtypes = {
        "F64": torch.float64, "F32": torch.float32, "F16": torch.float16,
        "BF16": torch.bfloat16, "I64": torch.int64, "I32": torch.int32, "I16": torch.int16,
        "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool,
    }
    buffer, start, entries, metadata = _read(path)
    tensors = {}
    for name, dtype, shape, begin, end in entries:
        raw = bytearray(buffer[start + begin:start + end])  # writable copy, as torch wants
        if raw:
            tensor = torch.frombuffer(raw, dtype=torch_dtypes[dtype])
        else:
            tensor = torch.empty(0, dtype=torch_dtypes[dtype])
        tensors[name] = tensor.reshape(shape)
    return tensors, metadata


def _to_json(tensors, metadata, via_torch):
    out = {"metadata": metadata, "tensors": {}}
    for name, tensor in tensors.items():
        if via_torch:
            dtype = str(tensor.dtype).replace("torch.", "")
            wide = tensor.double() if tensor.is_floating_point() else tensor
            values = wide.reshape(-1).tolist()
        else:
            dtype = str(tensor.dtype)
            values = tensor.reshape(-1).tolist()
        out["tensors"][name] = {"dtype": dtype, "shape": list(tensor.shape), "values": values}
    return out


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", help="a .safetensors file")
    parser.add_argument("--json", action="store_true", help="print every tensor's values as JSON")
    parser.add_argument("--torch", action="store_true", help="decode through torch")
    args = parser.parse_args(argv)
    try:
        tensors, metadata = load_torch(args.file) if args.torch else load(args.file)
    except ImportError as error:
        print(f"--torch needs torch: {error}", file=sys.stderr)
        return 3
    except (OSError, SafetensorsError) as error:
        print(f"{args.file}: {error}", file=sys.stderr)
        return 1
    if args.json:
        json.dump(_to_json(tensors, metadata, args.torch), sys.stdout)
        print()
    else:
        for name, tensor in tensors.items():
            print(f"{name}\t{tensor.dtype}\t{list(tensor.shape)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
