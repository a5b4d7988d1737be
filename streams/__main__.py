"""``python -m streams``: the same as the ``comeback`` console script."""

import sys

from streams.tools.cli import main

sys.exit(main())
