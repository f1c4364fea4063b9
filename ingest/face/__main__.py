"""``python -m ingest.face build|calibrate|bench`` (the ``sitepass face`` verbs call the same).

Configuration comes from ``SITEPASS_HOME`` / ``SITEPASS_FACE_*`` (see ingest.face.config).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from ingest.face.config import FaceConfig


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest.face", description=__doc__)
    sub = parser.add_subparsers(dest="verb", required=True)
    build = sub.add_parser("build", help="build/verify the model pack and print its fingerprint")
    build.add_argument("--force", action="store_true", help="rebuild even if present")
    calibrate = sub.add_parser("calibrate", help="ROC/DET table on the offline photos")
    calibrate.add_argument("--json", type=Path, default=None, help="also write the report here")
    bench = sub.add_parser("bench", help="faces/s: engine vs bare onnxruntime vs InsightFace loop")
    bench.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    log = logging.getLogger("ingest.face")
    config = FaceConfig.from_env()
    if args.verb == "build":
        from ingest.face.modelpack import build_model_pack

        manifest = build_model_pack(config, force=args.force)
        log.info("model pack %s fingerprint %s", manifest.pack_dir, manifest.fingerprint)
        return 0
    if args.verb == "calibrate":
        from ingest.face.calibrate import calibrate_command

        return calibrate_command(config, args.json)
    from ingest.face.bench import run_benchmark

    run_benchmark(config, repeats=args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
