"""`fiscal-connector` with TCP_NODELAY on the emulators' sockets (see tests/conftest.py).

Used by the crash test to run `fiscal-connector emulator ...` as a separate process.
"""

import sys

from fiscal_connector.cli import main
from fiscal_connector.emulators import common

common.EmulatorHandler.disable_nagle_algorithm = True

if __name__ == "__main__":
    sys.exit(main())
