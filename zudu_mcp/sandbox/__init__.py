"""An emulator of Zudu's batch-call and calls API, so the product runs without an account.

Its state lives in memory (tests) or in the state directory, shared by every process that opens
it (`open_sandbox`); its clock can run faster than the wall clock. See docs/sandbox.md.
"""

from zudu_mcp.sandbox.app import SANDBOX_API_KEY, SANDBOX_API_SECRET, create_app
from zudu_mcp.sandbox.calls import ADVERSARIAL_LINE, OPT_OUT_LINE
from zudu_mcp.sandbox.state import SandboxState, open_sandbox, sandbox_path

__all__ = [
    "ADVERSARIAL_LINE",
    "OPT_OUT_LINE",
    "SANDBOX_API_KEY",
    "SANDBOX_API_SECRET",
    "SandboxState",
    "create_app",
    "open_sandbox",
    "sandbox_path",
]
