"""Helpers for the SIP interop suite: processes, namespaces, phones, proxy.

The ng client is the tests' one Python client, tests/integration/ngclient.py: this
package puts that directory on sys.path so that `from ngclient import NgClient` works.
"""
import os
import sys

_INTEGRATION = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "integration")
if _INTEGRATION not in sys.path:
    sys.path.append(_INTEGRATION)
