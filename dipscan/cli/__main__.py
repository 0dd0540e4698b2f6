import sys

from dipscan.cli.commands import main

sys.exit(main())
