"""pydantic-ai: the JSON-schema transformers of its OpenAI profile (strict=True, as with
`ToolDefinition(strict=True)`) and of its Google profile, run on each tool's input schema."""

import copy

from convert_common import convert_each, published_tools, report, versions
from pydantic_ai.profiles.google import GoogleJsonSchemaTransformer
from pydantic_ai.profiles.openai import OpenAIJsonSchemaTransformer


def openai_strict(tool: dict) -> dict:
    transformer = OpenAIJsonSchemaTransformer(copy.deepcopy(tool["inputSchema"]), strict=True)
    schema = transformer.walk()
    if not transformer.is_strict_compatible:
        raise ValueError("OpenAIJsonSchemaTransformer: not strict-compatible, pydantic-ai sends this tool non-strict")
    return schema


def google(tool: dict) -> dict:
    return GoogleJsonSchemaTransformer(copy.deepcopy(tool["inputSchema"])).walk()


tools = published_tools()
report(versions("pydantic-ai-slim"), {"pydantic-ai-openai-strict": convert_each(tools, openai_strict), "pydantic-ai-google": convert_each(tools, google)})
