"""YuNet face detector on onnxruntime, with InsightFace's detector interface.

InsightFace's model router sends any ONNX graph with >= 5 outputs to its SCRFD class,
which cannot decode YuNet's 12 heads, so this small class stands in for SCRFD: it has
the same ``taskname``, ``prepare(ctx_id, input_size=..., det_thresh=...)`` and
``detect(img, max_num=0, metric='default') -> (det[N, 5], kpss[N, 5, 2])`` contract and
can be plugged into ``insightface.app.FaceAnalysis`` as ``det_model``.

Decoding follows OpenCV's ``FaceDetectorYN`` (2023mar model): per stride ``s`` in
(8, 16, 32) and grid cell ``(r, c)``: ``score = sqrt(clip(cls) * clip(obj))``,
``cx = (c + dx) * s``, ``w = exp(dw) * s``, landmark ``= (c + kx, r + ky) * s``. The
input is raw BGR in 0..255 (no mean/std, no channel swap); the image is resized to fit
``input_size`` keeping its aspect ratio and padded to a multiple of 32.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

STRIDES = (8, 16, 32)
NMS_IOU = 0.3
TOP_K = 5000

FloatArray = NDArray[np.float32]


class YuNetDetector:
    """YuNet on an onnxruntime session (float32 graph with symbolic N, H, W)."""

    taskname = "detection"

    def __init__(self, session: Any, input_size: int = 640, det_thresh: float = 0.5) -> None:
        self.session = session
        self.input_name: str = session.get_inputs()[0].name
        self.output_names: list[str] = [o.name for o in session.get_outputs()]
        expected = {f"{head}_{s}" for head in ("cls", "obj", "bbox", "kps") for s in STRIDES}
        if set(self.output_names) != expected:
            raise ValueError(f"not a YuNet graph: outputs {self.output_names}")
        self.input_size = input_size
        self.det_thresh = det_thresh
        self.nms_thresh = NMS_IOU
        self._grids: dict[tuple[int, int, int], FloatArray] = {}

    # -- InsightFace detector protocol -------------------------------------------------
    def prepare(self, ctx_id: int = 0, **kwargs: Any) -> None:
        """Accepts InsightFace's ``input_size`` (pair or int) and ``det_thresh``/``nms_thresh``."""
        del ctx_id
        size = kwargs.get("input_size")
        if size is not None:
            self.input_size = int(max(size)) if isinstance(size, (tuple, list)) else int(size)
        if kwargs.get("det_thresh") is not None:
            self.det_thresh = float(kwargs["det_thresh"])
        if kwargs.get("nms_thresh") is not None:
            self.nms_thresh = float(kwargs["nms_thresh"])

    def detect(
        self,
        img: NDArray[np.uint8],
        input_size: Any = None,
        max_num: int = 0,
        metric: str = "default",
        det_thresh: float | None = None,
    ) -> tuple[FloatArray, FloatArray]:
        """Faces in a BGR image: ``det`` rows ``[x1, y1, x2, y2, score]`` and 5 landmarks each."""
        size = (
            self.input_size
            if input_size is None
            else int(max(input_size) if isinstance(input_size, (tuple, list)) else input_size)
        )
        threshold = self.det_thresh if det_thresh is None else float(det_thresh)
        blob, scale = self.preprocess(img, size)
        outputs = self.session.run(self.output_names, {self.input_name: blob})
        det, kps = self.decode(
            dict(zip(self.output_names, outputs, strict=True)),
            blob.shape[2],
            blob.shape[3],
            threshold,
        )
        det[:, :4] /= scale
        kps /= scale
        if max_num > 0 and det.shape[0] > max_num:
            area = (det[:, 2] - det[:, 0]) * (det[:, 3] - det[:, 1])
            if metric == "max":
                values = area
            else:
                cy, cx = img.shape[0] / 2.0, img.shape[1] / 2.0
                off = ((det[:, 0] + det[:, 2]) / 2 - cx) ** 2 + (
                    (det[:, 1] + det[:, 3]) / 2 - cy
                ) ** 2
                values = area - off * 2.0
            order = np.argsort(values)[::-1][:max_num]
            det, kps = det[order], kps[order]
        return det, kps

    # -- pieces, public for the benchmark --------------------------------------------
    @staticmethod
    def preprocess(img: NDArray[np.uint8], size: int) -> tuple[FloatArray, float]:
        """Resize to fit ``size`` (never upscale above 1x), pad to /32, NCHW float32 BGR."""
        h, w = img.shape[:2]
        scale = min(size / max(h, w), 1.0)
        nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
        resized = (
            img if (nw, nh) == (w, h) else cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA)
        )
        ph, pw = -(-nh // 32) * 32, -(-nw // 32) * 32
        blob = np.zeros((1, 3, ph, pw), dtype=np.float32)
        blob[0, :, :nh, :nw] = resized.transpose(2, 0, 1)
        return blob, scale

    def _grid(self, rows: int, cols: int, stride: int) -> FloatArray:
        key = (rows, cols, stride)
        grid = self._grids.get(key)
        if grid is None:
            ys, xs = np.mgrid[:rows, :cols]
            grid = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32)
            if len(self._grids) < 64:
                self._grids[key] = grid
        return grid

    def decode(
        self, out: dict[str, NDArray[Any]], height: int, width: int, threshold: float
    ) -> tuple[FloatArray, FloatArray]:
        boxes: list[FloatArray] = []
        points: list[FloatArray] = []
        scores: list[FloatArray] = []
        for stride in STRIDES:
            cls = np.clip(out[f"cls_{stride}"][0, :, 0], 0.0, 1.0)
            obj = np.clip(out[f"obj_{stride}"][0, :, 0], 0.0, 1.0)
            score = np.sqrt(cls * obj)
            keep = np.nonzero(score >= threshold)[0]
            if keep.size == 0:
                continue
            grid = self._grid(height // stride, width // stride, stride)[keep]
            bbox = out[f"bbox_{stride}"][0, keep]
            kps = out[f"kps_{stride}"][0, keep].reshape(-1, 5, 2)
            centre = (grid + bbox[:, :2]) * stride
            size = np.exp(bbox[:, 2:4]) * stride
            boxes.append(np.concatenate([centre - size / 2, centre + size / 2], axis=1))
            points.append((kps + grid[:, None, :]) * stride)
            scores.append(score[keep])
        if not boxes:
            return np.zeros((0, 5), np.float32), np.zeros((0, 5, 2), np.float32)
        box = np.concatenate(boxes).astype(np.float32)
        kp = np.concatenate(points).astype(np.float32)
        sc = np.concatenate(scores).astype(np.float32)
        keep_idx = nms(box, sc, self.nms_thresh, TOP_K)
        det = np.concatenate([box[keep_idx], sc[keep_idx, None]], axis=1).astype(np.float32)
        return det, kp[keep_idx]


def nms(boxes: FloatArray, scores: FloatArray, iou: float, top_k: int) -> NDArray[np.intp]:
    """Greedy non-maximum suppression; indices in descending score order."""
    order = np.argsort(-scores, kind="stable")[:top_k]
    x1, y1, x2, y2 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    areas = np.maximum(0.0, x2 - x1) * np.maximum(0.0, y2 - y1)
    keep: list[int] = []
    while order.size:
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        w = np.maximum(0.0, np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]))
        h = np.maximum(0.0, np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]))
        inter = w * h
        overlap = inter / np.maximum(areas[i] + areas[rest] - inter, 1e-9)
        order = rest[overlap <= iou]
    return np.asarray(keep, dtype=np.intp)
