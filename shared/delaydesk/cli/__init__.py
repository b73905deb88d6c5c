"""The ``delaydesk`` command.

    delaydesk simulate SCENARIO.json [--json]     replay a scenario in the embedded AWS
    delaydesk demo [--outbox DIR]                 the bundled disruption, with rendered notices
    delaydesk rejected list [--category C]        events an operator must look at
    delaydesk rejected replay REJECTION_ID        send a stored event back to its queue
    delaydesk merchants put MERCHANT.json         create or update a merchant
    delaydesk escalations list [--all] [--json]   orders escalated to the support team
    delaydesk escalations close ORDER_ID REASON   close one after handling it
    delaydesk templates lint [--stored]           check the bundled (and stored) notice templates
    delaydesk templates put --merchant M --kind K --locale L --channel C FILE
                                                  validate and store a merchant's template
    delaydesk notices preview --kind K --locale L --channel C [--file F]
                                                  render one notice with sample data
    delaydesk notices inbox ORDER_ID              the order's in-app inbox
    delaydesk notices link ORDER_ID               the signed order page link of an order
    delaydesk windows declare FILE | --preset NAME   declare (or change) disruption windows
    delaydesk windows list                        the windows in force
    delaydesk windows end WINDOW_ID [--at T]      end a window early
    delaydesk explain ORDER_ID                    an order's timeline of events, deadlines, decisions
    delaydesk doctor [--stack NAME] [--region R] [--webhook-sources aftership,generic]
                                                  check a deployed stack against what real AWS requires
                                                  (SES identity, DKIM, sandbox and quota; SMS; topic keys;
                                                  alarm subscriptions; DLQs; schedules; secrets): one line
                                                  per check, ✔ / ✘ with the fix / ! with advice; exit 1
                                                  when anything must be fixed (see doctor.py)

Every command but ``simulate``, ``demo``, ``templates lint`` and ``notices preview`` works on a
deployed stack (``--stack-name``, default ``delaydesk-dev``) with the usual AWS credentials and
region. Whatever keeps a command from its stack, table or file (no credentials, no region, an
unknown stack, a missing table, a missing or malformed file, a refused call) is told in one line,
``delaydesk: <command>: <what went wrong> (<hint>)``, with exit status 2: an operator needs the
cause, not a traceback.
"""

from delaydesk.cli.common import STACK_ENV as STACK_ENV
from delaydesk.cli.common import CommandError as CommandError
from delaydesk.cli.common import describe_error as describe_error
from delaydesk.cli.common import use_stack as use_stack
from delaydesk.cli.main import main as main
from delaydesk.cli.main import parser as parser
