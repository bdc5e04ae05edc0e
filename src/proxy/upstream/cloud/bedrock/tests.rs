//! SigV4 headers as the signer writes them (the Bedrock mock in the
//! integration tests checks them against botocore's signer).
use super::*;

#[test]
fn signs_with_date_scope_and_session_token() {
    let c = Credentials::new("AKIDEXAMPLE", "secret", Some("tok".into()), None, "test");
    let url =
        Url::parse("https://bedrock-runtime.eu-west-1.amazonaws.com/model/a%3A0/invoke").unwrap();
    let now = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_767_225_600);
    let h = sign_v4(&c, "eu-west-1", &url, b"{}", now).unwrap();
    let get = |n: &str| {
        h.iter()
            .find(|(k, _, _)| k == n)
            .map(|(_, v, s)| (v.clone(), *s))
    };
    assert_eq!(get("x-amz-date").unwrap().0, "20260101T000000Z");
    assert_eq!(
        get("x-amz-security-token").unwrap(),
        ("tok".to_string(), true)
    );
    let (auth, sensitive) = get("authorization").unwrap();
    assert!(sensitive);
    assert!(
        auth.starts_with(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-1/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature="
        ),
        "{auth}"
    );
    // The same request signed again is signed the same: no hidden clock.
    assert_eq!(sign_v4(&c, "eu-west-1", &url, b"{}", now).unwrap(), h);
}
