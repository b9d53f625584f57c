"""An in-memory emulator of Zudu's batch-call API, so the product runs without an account."""

from zudu_mcp.sandbox.app import SANDBOX_API_KEY, SANDBOX_API_SECRET, SandboxState, create_app

__all__ = ["SANDBOX_API_KEY", "SANDBOX_API_SECRET", "SandboxState", "create_app"]
