//! Reads the body of an answer from an upstream service (Vipps, Vault) up to a size cap, so
//! a broken or hostile upstream cannot make the server buffer without limit.

/// The most any answer from Vipps or Vault may hold.
pub const UPSTREAM_BODY_LIMIT: usize = 1024 * 1024;

/// Why a body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// The body is larger than the cap (announced or as read).
    #[error("the answer is larger than {limit} bytes")]
    TooLarge { limit: usize },
    /// The connection failed or timed out while reading.
    #[error("reading the answer failed: {0}")]
    Read(#[source] reqwest::Error),
}

/// The whole body of `response`, read chunk by chunk; more than `limit` bytes is an error
/// (refused at once when `Content-Length` announces it).
pub async fn read(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, BodyError> {
    let too_large = BodyError::TooLarge { limit };
    if response
        .content_length()
        .is_some_and(|length| length > limit as u64)
    {
        return Err(too_large);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| BodyError::Read(e.without_url()))?
    {
        if body.len() + chunk.len() > limit {
            return Err(too_large);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
