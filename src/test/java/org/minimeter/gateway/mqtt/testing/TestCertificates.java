package org.minimeter.gateway.mqtt.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A throw-away PKI for TLS tests, made with the {@code openssl} command-line tool in a temp
 * dir; all files are PEM, keys are EC P-256 in PKCS#8 ({@code BEGIN PRIVATE KEY}, readable by
 * both mosquitto and {@link PemKeys}), certificates are valid for 2 days from now:
 *
 * <ul>
 *   <li>the test CA ({@link #caCert()}, {@link #caKey()});
 *   <li>a server certificate from it, CN=localhost, SAN {@code IP:127.0.0.1, DNS:localhost}
 *       ({@link #serverCert()}, {@link #serverKey()}), for {@link Mosquitto.Builder#tls};
 *   <li>a client certificate from it, CN={@value #CLIENT_CN} ({@link #clientCert()},
 *       {@link #clientKey()});
 *   <li>an unrelated "untrusted" CA with a client certificate (same CN, so only the issuer
 *       differs) and a server certificate (same SANs) signed by it, to test rejections in
 *       both directions.
 * </ul>
 *
 * Generation takes ~100 ms; {@link #shared()} makes one set per JVM.
 */
public final class TestCertificates implements AutoCloseable {

    public static final String CLIENT_CN = "minimeter-test";
    /** Password of the PKCS#12 files and of the in-memory key stores. */
    public static final String KEYSTORE_PASSWORD = "changeit";

    private static final Duration OPENSSL_TIMEOUT = Duration.ofSeconds(30);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static TestCertificates shared;

    private final Path dir;
    private final boolean closeable;

    private TestCertificates(Path dir, boolean closeable) {
        this.dir = dir;
        this.closeable = closeable;
    }

    /** A fresh set in a new temp dir, deleted by {@link #close()}. */
    public static TestCertificates generate() {
        Path dir;
        try {
            dir = Files.createTempDirectory("minimeter-pki-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            TestCertificates certs = new TestCertificates(dir, true);
            certs.build();
            return certs;
        } catch (RuntimeException e) {
            Cli.deleteRecursively(dir);
            throw e;
        }
    }

    /**
     * One set for the whole test JVM, deleted at JVM exit; {@link #close()} on it does nothing,
     * so it can be used in try-with-resources like a private one.
     */
    public static synchronized TestCertificates shared() {
        if (shared == null) {
            TestCertificates fresh = generate();
            shared = new TestCertificates(fresh.dir, false);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> Cli.deleteRecursively(fresh.dir),
                    "test-certificates-cleanup"));
        }
        return shared;
    }

    public Path dir() {
        return dir;
    }

    public Path caCert() {
        return dir.resolve("ca.pem");
    }

    public Path caKey() {
        return dir.resolve("ca.key");
    }

    public Path serverCert() {
        return dir.resolve("server.pem");
    }

    public Path serverKey() {
        return dir.resolve("server.key");
    }

    public Path clientCert() {
        return dir.resolve("client.pem");
    }

    public Path clientKey() {
        return dir.resolve("client.key");
    }

    public Path untrustedCaCert() {
        return dir.resolve("untrusted-ca.pem");
    }

    public Path untrustedCaKey() {
        return dir.resolve("untrusted-ca.key");
    }

    public Path untrustedClientCert() {
        return dir.resolve("untrusted-client.pem");
    }

    public Path untrustedClientKey() {
        return dir.resolve("untrusted-client.key");
    }

    /** Same SANs as {@link #serverCert()} but from the untrusted CA: a client must refuse it. */
    public Path untrustedServerCert() {
        return dir.resolve("untrusted-server.pem");
    }

    public Path untrustedServerKey() {
        return dir.resolve("untrusted-server.key");
    }

    /** Trusts the test CA only. */
    public TrustManagerFactory trustManagerFactory() {
        return PemKeys.trustManagerFactory(caCert());
    }

    /** The trusted client certificate (CN={@value #CLIENT_CN}) and its key. */
    public KeyManagerFactory clientKeyManagerFactory() {
        return PemKeys.keyManagerFactory(clientCert(), clientKey());
    }

    public KeyManagerFactory untrustedClientKeyManagerFactory() {
        return PemKeys.keyManagerFactory(untrustedClientCert(), untrustedClientKey());
    }

    /** TLS client context: trusts the test CA, presents the trusted client certificate. */
    public SSLContext clientSslContext() {
        return PemKeys.sslContext(caCert(), clientCert(), clientKey());
    }

    /**
     * The client certificate, key and CA chain as a PKCS#12 file (password
     * {@value #KEYSTORE_PASSWORD}), written on first use by java.security.
     */
    public synchronized Path clientKeyStoreP12() {
        return writeP12(dir.resolve("client.p12"), PemKeys.keyStore(clientCert(), clientKey(), caCert()));
    }

    /** The test CA as a PKCS#12 trust store (password {@value #KEYSTORE_PASSWORD}). */
    public synchronized Path trustStoreP12() {
        return writeP12(dir.resolve("truststore.p12"), PemKeys.trustStore(caCert()));
    }

    /** Deletes the files (not for {@link #shared()}). */
    @Override
    public void close() {
        if (closeable) {
            Cli.deleteRecursively(dir);
        }
    }

    private Path writeP12(Path file, KeyStore store) {
        if (Files.exists(file)) {
            return file;
        }
        try (OutputStream out = Files.newOutputStream(file)) {
            store.store(out, KEYSTORE_PASSWORD.toCharArray());
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot write " + file, e);
        }
    }

    private void build() {
        selfSignedCa("ca", "/CN=minimeter-test-ca");
        signed("server", "/CN=localhost", "ca", serverExtensions());
        signed("client", "/CN=" + CLIENT_CN, "ca", clientExtensions());
        selfSignedCa("untrusted-ca", "/CN=minimeter-untrusted-ca");
        signed("untrusted-client", "/CN=" + CLIENT_CN, "untrusted-ca", clientExtensions());
        signed("untrusted-server", "/CN=localhost", "untrusted-ca", serverExtensions());
        for (String name : List.of("server", "client", "untrusted-client", "untrusted-server")) {
            try {
                Files.deleteIfExists(dir.resolve(name + ".csr"));
                Files.deleteIfExists(dir.resolve(name + ".ext"));
            } catch (IOException e) {
                // Leftovers are harmless; the dir is removed on close.
            }
        }
    }

    private static List<String> serverExtensions() {
        return List.of("basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature,keyEncipherment",
                "extendedKeyUsage=serverAuth", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "subjectKeyIdentifier=hash", "authorityKeyIdentifier=keyid");
    }

    private static List<String> clientExtensions() {
        return List.of("basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature",
                "extendedKeyUsage=clientAuth", "subjectKeyIdentifier=hash", "authorityKeyIdentifier=keyid");
    }

    private void selfSignedCa(String name, String subject) {
        newKey(name);
        openssl("req", "-x509", "-new", "-key", file(name + ".key"), "-sha256", "-days", "2", "-subj", subject,
                "-set_serial", serial(),
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                "-out", file(name + ".pem"));
    }

    /**
     * Key, CSR, then the CA signs it with the extensions from a file: {@code openssl x509 -req}
     * (unlike {@code req -x509 -CA}, new in OpenSSL 3.0) also works with OpenSSL 1.1.
     */
    private void signed(String name, String subject, String ca, List<String> extensions) {
        newKey(name);
        openssl("req", "-new", "-key", file(name + ".key"), "-subj", subject, "-out", file(name + ".csr"));
        Path ext = dir.resolve(name + ".ext");
        try {
            Files.write(ext, extensions, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        openssl("x509", "-req", "-in", file(name + ".csr"), "-CA", file(ca + ".pem"), "-CAkey", file(ca + ".key"),
                "-set_serial", serial(), "-days", "2", "-sha256", "-extfile", ext.toString(),
                "-out", file(name + ".pem"));
    }

    private void newKey(String name) {
        // genpkey writes PKCS#8, which java.security reads directly (ecparam -genkey would not).
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", file(name + ".key"));
    }

    private String file(String name) {
        return dir.resolve(name).toString();
    }

    /** Random positive 63-bit serial: two certificates with the same issuer and serial confuse TLS stacks. */
    private static String serial() {
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        bytes[0] &= 0x7f;
        return "0x" + HexFormat.of().formatHex(bytes);
    }

    private static void openssl(String... args) {
        List<String> command = new ArrayList<>();
        command.add(Cli.tool("openssl"));
        command.addAll(List.of(args));
        Cli.runOrFail(command, OPENSSL_TIMEOUT);
    }
}
