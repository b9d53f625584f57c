"""Tool-list size: what every conversation pays before the first word, in o200k_base tokens.

Run: bash .ci/install-converters (once), then: uv run python benchmarks/tool_list.py [--json]
The server is started over stdio exactly as a client starts it (`python -m zudu_mcp --sandbox`),
the raw `tools/list` answer is read off the wire, and its text is counted with a real tokenizer
that works offline: js-tiktoken (npm), which ships o200k_base inside the package, so nothing is
downloaded at run time (Python's tiktoken fetches its BPE file at first use). Per tool, each
tool's compact JSON is counted; the total is the whole JSON-RPC answer line. The floor printed
beside it is the same count for the reference server mcp-server-time, measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOKENIZER = ROOT / ".ci" / "converters" / "tokenizer"
from startup import HANDSHAKE  # noqa: E402  (run as a script: benchmarks/ is on the path; one handshake for both)

GOAL = 3000  # issue "Consent is a plan": the whole list at most 3,000 tokens


COUNT_TOKENS_JS = """
const { Tiktoken } = require("js-tiktoken/lite");
const o200k_base = require("js-tiktoken/ranks/o200k_base");
const encoder = new Tiktoken(o200k_base);
const texts = JSON.parse(require("fs").readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(texts.map((text) => encoder.encode(text).length)));
"""


def tools_list_answer(command: list[str], confirm: str = "auto") -> str:
    """The raw line that answers tools/list, as the client receives it (default consent policy unless told)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZUDU_")} | {"ZUDU_MCP_CONFIRM": confirm}
    messages = "".join(json.dumps(message) + "\n" for message in HANDSHAKE)
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    assert process.stdin and process.stdout
    try:
        process.stdin.write(messages)
        process.stdin.flush()
        for line in process.stdout:
            if json.loads(line).get("id") == 2:
                return line.strip()
        raise RuntimeError(f"{command} closed stdout before answering tools/list")
    finally:
        process.stdin.close()
        process.terminate()
        process.wait(timeout=15)


def count_tokens(texts: list[str]) -> list[int]:
    if not (TOKENIZER / "node_modules" / "js-tiktoken").exists():
        reason = TOKENIZER.parent / "tokenizer.UNAVAILABLE"
        sys.exit(f"js-tiktoken is not installed: {reason.read_text().strip() if reason.exists() else 'run `bash .ci/install-converters` once'}")
    done = subprocess.run(["node", "-e", COUNT_TOKENS_JS], input=json.dumps(texts), capture_output=True, text=True, cwd=TOKENIZER, check=True)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()
    ours = tools_list_answer([sys.executable, "-m", "zudu_mcp", "--sandbox"])
    floor = tools_list_answer([sys.executable, "-m", "mcp_server_time"])
    unattended = tools_list_answer([sys.executable, "-m", "zudu_mcp", "--sandbox"], confirm="off")
    tools = json.loads(ours)["result"]["tools"]
    per_tool = [json.dumps(tool, separators=(",", ":"), ensure_ascii=False) for tool in tools]
    schemas = [json.dumps(tool["inputSchema"], separators=(",", ":"), ensure_ascii=False) for tool in tools]
    counts = count_tokens([ours, floor, unattended, *per_tool, *schemas])
    total, floor_total, unattended_total = counts[:3]
    tool_counts, schema_counts = counts[3 : 3 + len(tools)], counts[3 + len(tools) :]
    rows = [
        {"tool": tool["name"], "tokens": tokens, "schema_tokens": schema_tokens, "chars": len(text)}
        for tool, tokens, schema_tokens, text in zip(tools, tool_counts, schema_counts, per_tool, strict=True)
    ]
    figures = {
        "tokenizer": "o200k_base (js-tiktoken 1.0.21)",
        "tools": rows,
        "total_tokens": total,
        "total_chars": len(ours),
        "floor_mcp_server_time_tokens": floor_total,
        "goal_tokens": GOAL,
        "unattended_total_tokens": unattended_total,
    }
    if args.json:
        print(json.dumps(figures))
        return
    print(f"{'tool':<24}{'tokens':>8}{'schema':>8}{'chars':>8}")
    for row in sorted(rows, key=lambda row: -row["tokens"]):
        print(f"{row['tool']:<24}{row['tokens']:>8}{row['schema_tokens']:>8}{row['chars']:>8}")
    print(f"{'whole tools/list answer':<24}{total:>8}{'':>8}{len(ours):>8}  (default consent; ZUDU_MCP_CONFIRM=off: {unattended_total})")
    print(f"o200k_base tokens; goal <= {GOAL}; floor (mcp-server-time, 2 tools, same run): {floor_total}")


if __name__ == "__main__":
    main()
