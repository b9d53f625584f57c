"""langchain-openai: an MCP tool loaded by langchain-mcp-adapters, then what
ChatOpenAI.bind_tools(tools, strict=True) sends (convert_to_openai_tool(tool, strict=True))."""

from convert_common import convert_each, published_tools, report, versions
from langchain_mcp_adapters.tools import convert_mcp_tool_to_langchain_tool
from langchain_openai.chat_models.base import convert_to_openai_tool
from mcp.types import Tool

CONNECTION = {"transport": "stdio", "command": "true", "args": []}  # never opened: conversion only


def convert(tool: dict) -> dict:
    langchain_tool = convert_mcp_tool_to_langchain_tool(None, Tool.model_validate(tool), connection=CONNECTION)
    return convert_to_openai_tool(langchain_tool, strict=True)["function"]["parameters"]


tools = published_tools()
report(versions("langchain-openai", "langchain-core", "langchain-mcp-adapters"), {"langchain-openai-strict": convert_each(tools, convert)})
