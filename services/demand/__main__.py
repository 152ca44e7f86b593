from ..common.runtime import serve
from .bootstrap import build_runtime, create_app

if __name__ == "__main__":
    runtime = build_runtime()
    serve(create_app(runtime), runtime)
