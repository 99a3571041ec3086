//! Checks of the certificate files the storage adapters are given.

/// Whether a CA bundle (PGSSLROOTCERT, REDIS_CA_FILE) holds at least one PEM certificate. Both
/// adapters refuse one that does not at start, by name: every handshake would fail with it.
pub fn holds_pem_certificate(bundle: &[u8]) -> bool {
    const BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";
    bundle.windows(BEGIN.len()).any(|window| window == BEGIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bundle_needs_a_pem_certificate() {
        let certificate = b"# RDS\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        assert!(holds_pem_certificate(certificate));
        assert!(!holds_pem_certificate(
            b"-----BEGIN PRIVATE KEY-----\nMIIE\n"
        ));
        assert!(!holds_pem_certificate(b"-----BEGIN CERTIFICATE"));
        assert!(!holds_pem_certificate(b""));
    }
}
