import sys

from signalcord.cli import main

sys.exit(main())
