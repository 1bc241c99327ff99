"""`python -m receptionist.cli`: the `receptionist` command."""

import sys

from receptionist.cli.main import main

sys.exit(main())
