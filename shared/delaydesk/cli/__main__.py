"""``python -m delaydesk.cli``."""

import sys

from delaydesk.cli.main import main

sys.exit(main())
