"""The MCP layer: each tool parses its arguments, calls the domain, and formats a short result."""
