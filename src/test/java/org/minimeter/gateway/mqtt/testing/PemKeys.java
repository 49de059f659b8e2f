package org.minimeter.gateway.mqtt.testing;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * PEM files to JSSE objects with java.security only (no BouncyCastle), so a test can hand the
 * HiveMQ client (or a raw SSLSocket) the same certificates mosquitto uses. Private keys must be
 * unencrypted PKCS#8 ({@code BEGIN PRIVATE KEY}) as written by {@code openssl genpkey};
 * traditional {@code BEGIN EC/RSA PRIVATE KEY} files are refused with a conversion hint.
 */
public final class PemKeys {

    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

    private PemKeys() {
    }

    /** All certificates of a PEM file, in file order (leaf first for a chain). */
    public static List<X509Certificate> readCertificates(Path pem) {
        try {
            byte[] bytes = Files.readAllBytes(pem);
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            List<X509Certificate> certs = new ArrayList<>();
            for (Certificate c : factory.generateCertificates(new ByteArrayInputStream(bytes))) {
                certs.add((X509Certificate) c);
            }
            if (certs.isEmpty()) {
                throw new IllegalArgumentException("no certificate in " + pem);
            }
            return certs;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("bad certificate file " + pem, e);
        }
    }

    /** An unencrypted PKCS#8 private key, EC or RSA (the algorithm is found by trying). */
    public static PrivateKey readPrivateKey(Path pem) {
        String text;
        try {
            text = Files.readString(pem, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            String type = m.group(1);
            if (type.equals("PRIVATE KEY")) {
                byte[] der = Base64.getMimeDecoder().decode(m.group(2));
                for (String algorithm : List.of("EC", "RSA", "Ed25519", "EdDSA")) {
                    try {
                        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
                    } catch (InvalidKeySpecException | java.security.NoSuchAlgorithmException e) {
                        // Not this algorithm; try the next.
                    }
                }
                throw new IllegalArgumentException("unsupported PKCS#8 key algorithm in " + pem);
            }
            if (type.endsWith("PRIVATE KEY")) {
                throw new IllegalArgumentException(pem + " holds a '" + type + "'; convert it with "
                        + "`openssl pkcs8 -topk8 -nocrypt -in old.key -out new.key`");
            }
        }
        throw new IllegalArgumentException("no PRIVATE KEY block in " + pem);
    }

    /**
     * An in-memory PKCS#12 store with one key entry "client": the key, its certificate and
     * (optionally, may be null) the CA certificates appended to the chain.
     */
    public static KeyStore keyStore(Path certPem, Path keyPem, Path caPem) {
        List<X509Certificate> chain = new ArrayList<>(readCertificates(certPem));
        if (caPem != null) {
            chain.addAll(readCertificates(caPem));
        }
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("client", readPrivateKey(keyPem), TestCertificates.KEYSTORE_PASSWORD.toCharArray(),
                    chain.toArray(new Certificate[0]));
            return store;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot build key store", e);
        }
    }

    /** An in-memory PKCS#12 store trusting every certificate in the PEM file. */
    public static KeyStore trustStore(Path caPem) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            int i = 0;
            for (X509Certificate ca : readCertificates(caPem)) {
                store.setCertificateEntry("ca-" + i++, ca);
            }
            return store;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot build trust store", e);
        }
    }

    public static KeyManagerFactory keyManagerFactory(Path certPem, Path keyPem) {
        try {
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keyStore(certPem, keyPem, null), TestCertificates.KEYSTORE_PASSWORD.toCharArray());
            return kmf;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot build key manager", e);
        }
    }

    public static TrustManagerFactory trustManagerFactory(Path caPem) {
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trustStore(caPem));
            return tmf;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot build trust manager", e);
        }
    }

    /** A TLS context trusting {@code caPem}; with a client certificate if certPem/keyPem are not null. */
    public static SSLContext sslContext(Path caPem, Path certPem, Path keyPem) {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(certPem == null ? null : keyManagerFactory(certPem, keyPem).getKeyManagers(),
                    trustManagerFactory(caPem).getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot build TLS context", e);
        }
    }
}
