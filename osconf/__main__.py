"""`python -m osconf` is the same as the `osconf` console script."""

import sys

from osconf.cli import main

sys.exit(main())
