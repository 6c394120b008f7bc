"""The lshk embedding network ("Conv-4") and prototypical loss in PyTorch, shared by the torch_* peer scripts.

Layer order and names match lshk's nn.Sequential (see src/Nn/ConvNet.cs), so an lshk .safetensors model
loads with load_state_dict(strict=True).
"""
import json
import struct

import torch
from torch import nn


def conv_net(blocks=4, filters=64, in_channels=1, kernel=3, bias=True, dropout=0.0, batch_norm=True, dropout_at="blocks",
             final_pool=True, global_average=False):
    """batch_norm=False drops each block's BatchNorm2d (the 2018 study's network); dropout_at="embedding" puts one
    Dropout after the Flatten instead of one per block; final_pool=False leaves out the last block's MaxPool2d;
    global_average=True averages the last map over its positions (AdaptiveAvgPool2d(1)) before the Flatten."""
    layers = []
    channels = in_channels
    for b in range(blocks):
        layers.append(nn.Conv2d(channels, filters, kernel, padding=kernel // 2, bias=bias))
        if batch_norm:
            layers.append(nn.BatchNorm2d(filters))
        layers.append(nn.ReLU())
        if final_pool or b < blocks - 1:
            layers.append(nn.MaxPool2d(2))
        if dropout > 0 and dropout_at == "blocks":
            layers.append(nn.Dropout(dropout))
        channels = filters
    if global_average:
        layers.append(nn.AdaptiveAvgPool2d(1))
    layers.append(nn.Flatten())
    if dropout > 0 and dropout_at == "embedding":
        layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


def prototypical_loss(embeddings, ways, shots, queries):
    """Class-major episode (each class: `shots` supports, then `queries` queries), as lshk's EpisodeShape."""
    e = embeddings.reshape(ways, shots + queries, -1)
    prototypes = e[:, :shots].mean(dim=1)
    q = e[:, shots:].reshape(ways * queries, -1)
    logits = -torch.cdist(q, prototypes).pow(2)
    labels = torch.arange(ways, device=embeddings.device).repeat_interleave(queries)
    return nn.functional.cross_entropy(logits, labels)


def training_setup(filters, batch, channels_last, device="cpu"):
    """The benchmarks' training state: a seeded Conv-4 (train mode), a batch of random 1x28x28 images and Adam (lr 1e-3),
    in channels_last memory format when asked."""
    torch.manual_seed(1)
    model = conv_net(filters=filters).to(device)
    x = torch.rand(batch, 1, 28, 28, device=device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    return model, x, opt


_DTYPES = {"F32": (torch.float32, 4), "I64": (torch.int64, 8)}


def read_safetensors(path):
    """A minimal independent safetensors reader: returns ({name: tensor}, metadata)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        dtype, size = _DTYPES[entry["dtype"]]
        begin, end = entry["data_offsets"]
        count = 1
        for d in entry["shape"]:
            count *= d
        assert end - begin == count * size, f"{name}: {end - begin} bytes for shape {entry['shape']}"
        t = torch.frombuffer(bytearray(data[begin:end]), dtype=dtype) if count else torch.empty(0, dtype=dtype)
        tensors[name] = t.reshape(entry["shape"]).clone()
    return tensors, metadata


HASH_TENSORS = ("hash.weight", "hash.bias")


def split_hash_planes(tensors):
    """A model's network tensors and, apart, its stored hash planes (hash.weight P x D, hash.bias P: a trained hash
    layer's or fitted PCA/ITQ planes; bit i = [x . weight_i + bias_i >= 0]), which are not part of the nn.Sequential.
    Returns (network tensors, (weight, bias) or None). A product-quantiser codebook (codebook.*, lshk fit-hash --hash
    pq|opq) is not part of the network either and is left out."""
    network = {k: v for k, v in tensors.items() if k not in HASH_TENSORS and not k.startswith("codebook.")}
    planes = (tensors["hash.weight"], tensors["hash.bias"]) if "hash.weight" in tensors else None
    return network, planes


def net_from_metadata(metadata):
    return conv_net(blocks=int(metadata["lshk.blocks"]), filters=int(metadata["lshk.filters"]),
                    in_channels=int(metadata["lshk.input_channels"]), kernel=int(metadata["lshk.kernel"]),
                    bias=metadata["lshk.conv_bias"] == "true", dropout=float(metadata["lshk.dropout"]),
                    batch_norm=metadata.get("lshk.batch_norm", "true") == "true",
                    dropout_at=metadata.get("lshk.dropout_at", "blocks"),
                    final_pool=metadata.get("lshk.final_pool", "true") == "true",
                    global_average=metadata.get("lshk.global_average", "false") == "true")
