package org.minimeter.gateway.mqtt;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * PEM files to JSSE factories, with the JDK alone: a CA bundle for trust, a certificate chain
 * and a PKCS#8 key for the client side of mutual TLS. Errors name the key and the file.
 */
final class TlsFiles {

    private TlsFiles() {
    }

    static TrustManagerFactory trust(Path caPem) {
        try (InputStream in = Files.newInputStream(caPem)) {
            Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (certs.isEmpty()) {
                throw new IllegalArgumentException("mqtt.tls-ca=" + caPem + ": no certificate in the file");
            }
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            int i = 0;
            for (Certificate c : certs) {
                ks.setCertificateEntry("ca-" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            return tmf;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("mqtt.tls-ca=" + caPem + ": cannot read a PEM CA certificate: " + e.getMessage(), e);
        }
    }

    static KeyManagerFactory keys(Path certPem, Path keyPem) {
        List<Certificate> chain = new ArrayList<>();
        try (InputStream in = Files.newInputStream(certPem)) {
            chain.addAll(CertificateFactory.getInstance("X.509").generateCertificates(in));
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("mqtt.tls-cert=" + certPem + ": cannot read a PEM certificate: " + e.getMessage(), e);
        }
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("mqtt.tls-cert=" + certPem + ": no certificate in the file");
        }
        PrivateKey key = privateKey(keyPem);
        try {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            char[] none = new char[0];
            ks.setKeyEntry("client", key, none, chain.toArray(new Certificate[0]));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, none);
            return kmf;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("mqtt.tls-key=" + keyPem + ": the key does not fit mqtt.tls-cert: "
                    + e.getMessage(), e);
        }
    }

    private static PrivateKey privateKey(Path keyPem) {
        String text;
        try {
            text = Files.readString(keyPem, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalArgumentException("mqtt.tls-key=" + keyPem + ": cannot read: " + e.getMessage(), e);
        }
        String begin = "-----BEGIN PRIVATE KEY-----";
        int from = text.indexOf(begin);
        int to = text.indexOf("-----END PRIVATE KEY-----");
        if (from < 0 || to < 0) {
            throw new IllegalArgumentException("mqtt.tls-key=" + keyPem + ": expected an unencrypted PKCS#8 PEM key"
                    + " (BEGIN PRIVATE KEY); convert with: openssl pkcs8 -topk8 -nocrypt -in key.pem -out key8.pem");
        }
        byte[] der = Base64.getMimeDecoder().decode(text.substring(from + begin.length(), to));
        for (String algorithm : new String[] {"RSA", "EC", "Ed25519"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // try the next algorithm
            }
        }
        throw new IllegalArgumentException("mqtt.tls-key=" + keyPem + ": not an RSA, EC or Ed25519 PKCS#8 key");
    }
}
