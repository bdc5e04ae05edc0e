//! Bedrock's error names, as the statuses and error types Claude Code
//! retries correctly, and its error bodies' messages.
//!
//! Pure: no I/O, no clock, no randomness.

/// The status Claude Code should see for a Bedrock error, by its name
/// (`x-amzn-ErrorType` or the body's `__type`), else Bedrock's own status.
/// Mapped onto the statuses other upstreams' failures already use, so
/// retries and fallback chains treat them alike: throttling is 429 (it
/// moves a chain on), an unavailable service 503 (Claude Code sees 529),
/// refused credentials 403.
pub fn error_status(name: &str, status: u16) -> u16 {
    match short_name(name) {
        "ThrottlingException" | "ServiceQuotaExceededException" | "TooManyRequestsException" => 429,
        "ServiceUnavailableException" | "ModelNotReadyException" => 503,
        "ValidationException" | "SerializationException" => 400,
        "AccessDeniedException"
        | "UnrecognizedClientException"
        | "InvalidSignatureException"
        | "IncompleteSignatureException"
        | "MissingAuthenticationTokenException"
        | "ExpiredTokenException" => 403,
        "ResourceNotFoundException" => 404,
        "ModelTimeoutException" => 408,
        "InternalServerException" => 500,
        "ModelErrorException" | "ModelStreamErrorException" => 502,
        _ => status,
    }
}

/// Anthropic's error type for a Bedrock exception inside a stream.
pub fn stream_error_kind(name: &str) -> &'static str {
    match error_status(name, 500) {
        429 => "rate_limit_error",
        503 => "overloaded_error",
        400 => "invalid_request_error",
        403 => "permission_error",
        404 => "not_found_error",
        _ => "api_error",
    }
}

/// `ThrottlingException:http://internal.amazon.com/…` → `ThrottlingException`;
/// a stream's `throttlingException` → `ThrottlingException`.
fn short_name(name: &str) -> &str {
    let name = name.split(':').next().unwrap_or(name).trim();
    let name = name.rsplit('#').next().unwrap_or(name);
    match name {
        "throttlingException" => "ThrottlingException",
        "serviceUnavailableException" => "ServiceUnavailableException",
        "validationException" => "ValidationException",
        "internalServerException" => "InternalServerException",
        "modelStreamErrorException" => "ModelStreamErrorException",
        "modelTimeoutException" => "ModelTimeoutException",
        other => other,
    }
}

/// Whether a refused signature is about the clock: SigV4 signatures are
/// valid for five minutes around the server's time.
pub fn is_clock_skew(message: &str) -> bool {
    message.contains("Signature expired")
        || message.contains("Signature not yet current")
        || message.contains("RequestTimeTooSkewed")
}

/// The message of a Bedrock error body: `{"message": …}` from the model
/// API, `{"Message": …}` from the auth layer in front of it.
pub fn error_message(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.get("message")
        .or_else(|| v.get("Message"))
        .and_then(|m| m.as_str())
        .map(str::to_string)
}

/// The error's name from a body's `__type`, when no header gave it.
pub fn error_type(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.get("__type").and_then(|m| m.as_str()).map(str::to_string)
}
