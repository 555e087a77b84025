import sys

from cs_lab.cli import main

sys.exit(main())
