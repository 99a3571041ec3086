//! Certificates for the TLS tests: a throwaway certificate authority, a server certificate it
//! signs for `localhost` and 127.0.0.1, and a second authority that signed nothing (the wrong
//! CA), written as PEM files.

use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

#[derive(Debug, Clone)]
pub struct TestCerts {
    /// The authority that signed the server's certificate.
    pub ca: PathBuf,
    /// An authority that signed nothing here.
    pub other_ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
}

fn authority(name: &str) -> (CertificateParams, KeyPair, String) {
    let key = KeyPair::generate().expect("a CA key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let pem = params.self_signed(&key).expect("a self-signed CA").pem();
    (params, key, pem)
}

impl TestCerts {
    /// Writes the files into `dir` (created); the key is readable by its owner only, as
    /// Postgres requires.
    pub fn write(dir: &Path) -> TestCerts {
        std::fs::create_dir_all(dir).expect("create the certificates' dir");
        let (ca_params, ca_key, ca_pem) = authority("fibstack test CA");
        let (_, _, other_pem) = authority("fibstack wrong CA");
        let issuer = Issuer::new(ca_params, ca_key);
        let server_key = KeyPair::generate().expect("a server key");
        let mut server =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
                .expect("server parameters");
        server
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        let server_pem = server
            .signed_by(&server_key, &issuer)
            .expect("a server certificate")
            .pem();
        let certs = TestCerts {
            ca: dir.join("ca.crt"),
            other_ca: dir.join("other-ca.crt"),
            server_cert: dir.join("server.crt"),
            server_key: dir.join("server.key"),
        };
        std::fs::write(&certs.ca, ca_pem).expect("write the CA");
        std::fs::write(&certs.other_ca, other_pem).expect("write the other CA");
        std::fs::write(&certs.server_cert, server_pem).expect("write the server certificate");
        std::fs::write(&certs.server_key, server_key.serialize_pem()).expect("write the key");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&certs.server_key, std::fs::Permissions::from_mode(0o600))
            .expect("make the key private");
        certs
    }
}
