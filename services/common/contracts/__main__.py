"""python -m services.common.contracts asyncapi | registry DIR | rehash-examples | bench"""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
