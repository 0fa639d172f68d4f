"""``python -m qengine`` runs the command line."""

import sys

from qengine.apps.cli import main

sys.exit(main())
