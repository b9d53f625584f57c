import sys

from zudu_mcp.cli import main

sys.exit(main())
