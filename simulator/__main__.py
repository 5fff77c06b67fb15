"""``python -m simulator``: run the Vobiz API simulator over HTTPS."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from types import FrameType

from simulator.server import NonLoopbackBindError, Simulator


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m simulator", description="Run the Vobiz API simulator."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8443)
    parser.add_argument("--data-dir", default="var/sim")
    parser.add_argument(
        "--seed-days",
        type=int,
        default=90,
        help="days of seeded CDRs before the first start",
    )
    parser.add_argument("--seed", type=int, default=1, help="demo data seed")
    parser.add_argument(
        "--public", action="store_true", help="allow binding to a non-loopback address"
    )
    parser.add_argument("--quiet", action="store_true", help="no access log")
    return parser


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, start the simulator and serve until interrupted."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(name)s %(message)s",
    )
    try:
        simulator = Simulator(
            args.data_dir, args.host, args.port, args.seed_days, args.seed, args.public
        )
    except NonLoopbackBindError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _stop)
    print(simulator.start_line(), flush=True)
    try:
        simulator.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        simulator.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
