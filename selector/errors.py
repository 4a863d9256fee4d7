"""The project's error types: every message is a sentence a person can act on."""


class SelectorError(Exception):
    """Base of every error shown to the user (pages use st.error, the CLI exits 2 or 1)."""


class CatalogueError(SelectorError):
    """The catalogue file is missing, malformed or fails validation."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class AnswersError(SelectorError):
    """A questionnaire answer is invalid."""


class ModelCallError(SelectorError):
    """A live model call failed (exit code 1 on the CLI)."""


class AuthError(ModelCallError):
    """Missing or rejected API key."""


class RateLimited(ModelCallError):
    """The provider refused the call for rate or quota reasons."""


class CallTimeout(ModelCallError):
    """The call did not finish in time."""


class Unreachable(ModelCallError):
    """The server could not be reached (connection refused, DNS, server died)."""


class BadRequest(ModelCallError):
    """The provider rejected the request itself (unknown model, bad parameter)."""


class ContextTooLong(BadRequest):
    """The prompt does not fit the model's context window."""


class BadResponse(ModelCallError):
    """The server answered, but with something that is not a readable answer (not JSON, garbled, too big)."""


class ServerError(ModelCallError):
    """The server was reached and failed (HTTP 5xx)."""


def unknown_id_message(model_id: str, known: list[str]) -> str:
    """"unknown model id 'x'; did you mean 'y'?": the one wording for a model id nobody knows."""
    import difflib

    close = difflib.get_close_matches(model_id, known, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
    return f"unknown model id {model_id!r}{hint}"
