"""Service errors carrying the Personalize error code that botocore turns into ClientError codes."""

from __future__ import annotations


class ServiceError(Exception):
    code = "InvalidInputException"
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(ServiceError):
    code = "InvalidInputException"


class NotFound(ServiceError):
    code = "ResourceNotFoundException"


class AlreadyExists(ServiceError):
    code = "ResourceAlreadyExistsException"


class InUse(ServiceError):
    code = "ResourceInUseException"


class LimitExceeded(ServiceError):
    code = "LimitExceededException"


class InvalidNextToken(ServiceError):
    code = "InvalidNextTokenException"


class UnknownOperation(ServiceError):
    code = "UnknownOperationException"


class Throttling(ServiceError):
    code = "ThrottlingException"


class InternalError(ServiceError):
    code = "InternalServerError"
    status = 500
