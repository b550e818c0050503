"""A Salesforce REST emulator over HTTPS on loopback, to develop, test and demo the sync against.

    from sync.emulator import EmulatorServer
    with EmulatorServer() as emulator:      # https://127.0.0.1:<port>, CA bundle at emulator.ca_bundle
        emulator.state.seed("Contact", [{"LastName": "Lovelace", "Email": "ada@example.com"}])
        ...

See ``manage.py run_salesforce_emulator`` to run one for the demo.
"""

from .server import EmulatorServer
from .state import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_USERNAME, EmulatorState

__all__ = ["DEMO_CLIENT_ID", "DEMO_CLIENT_SECRET", "DEMO_USERNAME", "EmulatorServer", "EmulatorState"]
