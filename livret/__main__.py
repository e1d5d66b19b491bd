"""``python -m livret`` is the ``livret`` command."""

import sys

from livret.cli import main

sys.exit(main())
