"""The PaNOSC API's errors in LoopBack's form (spec §10): the federation reads `error.message`."""

from dataclasses import dataclass

NAMES = {
    400: "BadRequestError",
    404: "NotFoundError",
    405: "MethodNotAllowedError",
    500: "InternalServerError",
    503: "ServiceUnavailableError",
}


@dataclass
class PanoscError(Exception):
    status: int
    code: str
    message: str

    def body(self) -> dict:
        return {
            "error": {
                "statusCode": self.status,
                "name": NAMES.get(self.status, "Error"),
                "message": self.message,
                "code": self.code,
            }
        }


def bad_request(code: str, message: str) -> PanoscError:
    return PanoscError(400, code, message)


def not_found(message: str, code: str = "MODEL_NOT_FOUND") -> PanoscError:
    return PanoscError(404, code, message)
