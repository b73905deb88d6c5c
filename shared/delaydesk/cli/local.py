"""``simulate`` and ``demo``: the template in the embedded AWS."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from delaydesk.cli.common import CommandError


def _cmd_simulate(args: argparse.Namespace) -> int:
    from delaydesk_local.report import print_summary
    from delaydesk_local.simulate import ScenarioError, load_scenario, run

    try:
        scenario = load_scenario(Path(args.scenario))
    except ScenarioError as exc:
        raise CommandError(str(exc)) from None
    log = Path(args.log).open("w", encoding="utf-8") if args.log else None  # noqa: SIM115
    try:
        result = run(scenario, log_stream=log)
    finally:
        if log:
            log.close()
    if args.json:
        json.dump(result.contract(), sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        print_summary(result, sys.stdout)
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from delaydesk_local.demo import run_demo

    return run_demo(Path(args.outbox), Path(args.scenario) if args.scenario else None)


def _cmd_serve(args: argparse.Namespace) -> int:
    from delaydesk_local.serve import serve
    from delaydesk_local.simulate import ScenarioError, load_scenario

    try:
        scenario = load_scenario(Path(args.scenario))
    except ScenarioError as exc:
        raise CommandError(str(exc)) from None
    print(f"Replaying {Path(args.scenario).name} into the embedded AWS, then serving it ...", flush=True)
    log = Path(args.log).open("w", encoding="utf-8") if args.log else None  # noqa: SIM115
    try:
        return serve(scenario, args.port, log_stream=log)
    except KeyboardInterrupt:  # Ctrl-C during the replay: nothing to clean beyond the context managers
        print("\nstopped", flush=True)
        return 130
    except OSError as exc:
        raise CommandError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror}") from None
    finally:
        if log:
            log.close()
