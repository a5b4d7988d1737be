"""``python -m streams.tools.bench``: the same as ``comeback bench``."""

import sys

from streams.tools.bench.run import main

sys.exit(main())
