"""ArcFace 5-point alignment (InsightFace's ``face_align.norm_crop``).

Same template (``insightface.utils.face_align.arcface_dst``), same least-squares
similarity transform (Umeyama, scikit-image) and the same ``cv2.warpAffine`` as
``norm_crop``, but through ``SimilarityTransform.from_estimate`` where scikit-image has
it: ``norm_crop`` calls ``estimate()``, deprecated since scikit-image 0.26 (a
FutureWarning on every face, removal announced for 2.2). SFace was trained with the
same template (OpenCV's ``FaceRecognizerSF.alignCrop``).
"""

from __future__ import annotations

import cv2
import numpy as np
from insightface.utils import face_align
from numpy.typing import NDArray
from skimage.transform import SimilarityTransform


def estimate_norm(
    landmarks: NDArray[np.floating], image_size: int = 112
) -> NDArray[np.float64] | None:
    """2x3 matrix mapping the 5 landmarks onto the ArcFace template, or None if degenerate."""
    lmk = np.asarray(landmarks, dtype=np.float32).reshape(5, 2)  # dtypes as in InsightFace
    if image_size % 112 == 0:
        ratio, diff_x = image_size / 112.0, 0.0
    elif image_size % 128 == 0:
        ratio, diff_x = image_size / 128.0, 8.0 * image_size / 128.0
    else:
        raise ValueError(f"image_size must be a multiple of 112 or 128, got {image_size}")
    dst = np.asarray(face_align.arcface_dst, dtype=np.float32) * np.float32(ratio)
    dst[:, 0] += diff_x
    if not np.all(np.isfinite(lmk)):
        return None
    from_estimate = getattr(SimilarityTransform, "from_estimate", None)
    if from_estimate is not None:
        tform = from_estimate(lmk, dst)
        if not tform:
            return None
    else:  # scikit-image < 0.26
        tform = SimilarityTransform()  # type: ignore[no-untyped-call]
        if not tform.estimate(lmk, dst):
            return None
    matrix = np.asarray(tform.params[0:2, :], dtype=np.float64)
    return matrix if np.all(np.isfinite(matrix)) else None


def norm_crop(
    img: NDArray[np.uint8], landmarks: NDArray[np.floating], image_size: int = 112
) -> NDArray[np.uint8] | None:
    """The aligned ``image_size`` square face crop, or None for degenerate landmarks."""
    matrix = estimate_norm(landmarks, image_size)
    if matrix is None:
        return None
    return np.asarray(
        cv2.warpAffine(img, matrix, (image_size, image_size), borderValue=0.0), dtype=np.uint8
    )
