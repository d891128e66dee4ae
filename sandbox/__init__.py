# The Unipile sandbox's messaging part registers itself with sandbox.unipile (which cannot import it: it builds on
# that module), so every app the sandbox makes serves chats and messages.
from sandbox import unipile_messaging  # noqa: F401
