"""Anthropic SDK: `anthropic.transform_schema`, the SDK's transform of a JSON schema for strict
use (it closes every object and moves keywords the API does not enforce into the description)."""

import copy

from anthropic import transform_schema
from convert_common import convert_each, published_tools, report, versions

tools = published_tools()
report(versions("anthropic"), {"anthropic-strict": convert_each(tools, lambda tool: transform_schema(copy.deepcopy(tool["inputSchema"])))})
