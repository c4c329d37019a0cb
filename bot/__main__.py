"""python -m bot: the careerbot command."""

import sys

from bot.cli import main

sys.exit(main())
