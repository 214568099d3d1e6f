#!/bin/sh
# The house's floors (docs/ARCHITECTURE.md): no file includes a header of a
# floor above or of a peer, nor the store's internal header from outside it,
# but the arrows tests/floors/known.txt lists for issue 14 to remove.
python3 tests/floors/check.py
