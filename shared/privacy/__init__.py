"""Personal data in the logs, sealed per data subject so that it can be erased (crypto-shredding).

`personal` says which fields are personal data and finds them (pure: event types import it);
`crypto` seals a value and wraps keys; `keyring` keeps the subjects' keys; `sealing` is what the
recorder and the readers call.
"""
