"""langchain-google-genai: an MCP tool loaded by langchain-mcp-adapters, then what
ChatGoogleGenerativeAI.bind_tools sends (convert_to_genai_function_declarations)."""

from convert_common import convert_each, published_tools, report, versions
from langchain_google_genai._function_utils import convert_to_genai_function_declarations
from langchain_mcp_adapters.tools import convert_mcp_tool_to_langchain_tool
from mcp.types import Tool

CONNECTION = {"transport": "stdio", "command": "true", "args": []}  # never opened: conversion only


def convert(tool: dict) -> dict:
    langchain_tool = convert_mcp_tool_to_langchain_tool(None, Tool.model_validate(tool), connection=CONNECTION)
    [genai_tool] = convert_to_genai_function_declarations([langchain_tool])
    return genai_tool  # the google-genai Tool that bind_tools sends (tool_to_dict of it)


tools = published_tools()
report(versions("langchain-google-genai", "google-genai", "langchain-core", "langchain-mcp-adapters"), {"langchain-google-genai": convert_each(tools, convert)})
