"""Errors a user can act on. The CLI prints their message without a traceback."""


class AuxbenchError(Exception):
    """Base class: the message alone must tell the user what went wrong and what to do."""


class ConfigError(AuxbenchError):
    """A configuration key or value is wrong; the message names the key and the allowed values."""


class DataError(AuxbenchError):
    """A dataset file is missing, corrupt, or cannot be obtained; the message names the file."""


class TrainingError(AuxbenchError):
    """Training cannot go on (non-finite loss, unusable checkpoint)."""


class OutOfMemory(TrainingError):
    """The run ran out of memory: worth another attempt where other jobs share the device
    (a GPU shared by several jobs may have room later); the last attempt records it."""
