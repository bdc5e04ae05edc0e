"""Calls the ccswitch proxy with the official `anthropic` SDK and prints what
the SDK made of the answer, as one JSON line. Driven by tests/it/sdk_conformance.rs,
which scripts the upstream mock behind the proxy.

usage: conformance.py SCENARIO   (env: PROXY_URL, PROXY_TOKEN)
"""
import json
import os
import sys

import anthropic


def client():
    # No retries: each scripted upstream reply answers exactly one call.
    return anthropic.Anthropic(
        base_url=os.environ["PROXY_URL"],
        auth_token=os.environ["PROXY_TOKEN"],
        api_key=None,
        max_retries=0,
    )


def blocks(message):
    out = []
    for b in message.content:
        if b.type == "text":
            out.append({"type": "text", "text": b.text})
        elif b.type == "thinking":
            out.append({"type": "thinking", "thinking": b.thinking})
        elif b.type == "tool_use":
            out.append({"type": "tool_use", "id": b.id, "name": b.name, "input": b.input})
        else:
            out.append({"type": b.type})
    return out


def summary(message):
    return {
        "content": blocks(message),
        "stop_reason": message.stop_reason,
        "usage": {"input": message.usage.input_tokens, "output": message.usage.output_tokens},
        "model": message.model,
    }


ASK = dict(model="up-main", max_tokens=1000, messages=[{"role": "user", "content": "hello"}])


def main():
    scenario = sys.argv[1]
    c = client()
    if scenario == "create":
        print(json.dumps(summary(c.messages.create(**ASK))))
    elif scenario == "stream":
        with c.messages.stream(**ASK) as s:
            text = "".join(s.text_stream)
            final = s.get_final_message()
        out = summary(final)
        out["streamed_text"] = text
        print(json.dumps(out))
    elif scenario.startswith("error"):
        try:
            if scenario == "error-stream":
                with c.messages.stream(**ASK) as s:
                    s.get_final_message()
            else:
                c.messages.create(**ASK)
            print(json.dumps({"class": None}))
        except anthropic.APIStatusError as e:
            print(json.dumps({
                "class": type(e).__name__,
                "status": e.status_code,
                "retry_after": e.response.headers.get("retry-after"),
                "message": str(e),
            }))
        except anthropic.APIError as e:
            print(json.dumps({"class": type(e).__name__, "message": str(e)}))
    else:
        sys.exit(f"unknown scenario {scenario}")


if __name__ == "__main__":
    main()
