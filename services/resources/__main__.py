import os

from ..common.runtime import serve
from .bootstrap import build_runtime, create_app, seed_demo_if_empty

if __name__ == "__main__":
    runtime = build_runtime()
    if os.environ.get("DEMO", "1") == "1":
        loaded = seed_demo_if_empty(runtime)
        if loaded:
            print(f"resources: loaded the demo province ({loaded} officers)", flush=True)
    serve(create_app(runtime), runtime)
