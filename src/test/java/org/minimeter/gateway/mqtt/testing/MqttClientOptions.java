package org.minimeter.gateway.mqtt.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How a command-line client (mosquitto_sub, mosquitto_pub) reaches a broker: address,
 * optional username/password, optional TLS (CA file, optionally a client certificate).
 * Immutable; the {@code with...} methods return a modified copy, so a test can start from
 * {@link Mosquitto#clientOptions()} and break exactly one thing (wrong password, untrusted
 * client certificate) to prove a rejection.
 */
public final class MqttClientOptions {

    private final String host;
    private final int port;
    private final String username;
    private final String password;
    private final Path caFile;
    private final Path certFile;
    private final Path keyFile;

    private MqttClientOptions(String host, int port, String username, String password, Path caFile, Path certFile,
            Path keyFile) {
        this.host = Objects.requireNonNull(host, "host");
        this.port = port;
        this.username = username;
        this.password = password;
        this.caFile = caFile;
        this.certFile = certFile;
        this.keyFile = keyFile;
    }

    /** Plain TCP, no credentials. */
    public static MqttClientOptions of(String host, int port) {
        return new MqttClientOptions(host, port, null, null, null, null, null);
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public Optional<String> username() {
        return Optional.ofNullable(username);
    }

    public Optional<String> password() {
        return Optional.ofNullable(password);
    }

    public Optional<Path> caFile() {
        return Optional.ofNullable(caFile);
    }

    public Optional<Path> certFile() {
        return Optional.ofNullable(certFile);
    }

    public Optional<Path> keyFile() {
        return Optional.ofNullable(keyFile);
    }

    /** TLS is on exactly when a CA file is set: the mosquitto clients need one to verify the server. */
    public boolean isTls() {
        return caFile != null;
    }

    public MqttClientOptions withCredentials(String username, String password) {
        return new MqttClientOptions(host, port, Objects.requireNonNull(username, "username"), password, caFile,
                certFile, keyFile);
    }

    public MqttClientOptions withoutCredentials() {
        return new MqttClientOptions(host, port, null, null, caFile, certFile, keyFile);
    }

    public MqttClientOptions withCaFile(Path caFile) {
        return new MqttClientOptions(host, port, username, password, Objects.requireNonNull(caFile, "caFile"),
                certFile, keyFile);
    }

    /** Drops TLS altogether (CA and client certificate). */
    public MqttClientOptions withoutTls() {
        return new MqttClientOptions(host, port, username, password, null, null, null);
    }

    /** A client certificate for mutual TLS; needs a CA file as well, see {@link #withCaFile}. */
    public MqttClientOptions withClientCertificate(Path certFile, Path keyFile) {
        return new MqttClientOptions(host, port, username, password, caFile,
                Objects.requireNonNull(certFile, "certFile"), Objects.requireNonNull(keyFile, "keyFile"));
    }

    public MqttClientOptions withoutClientCertificate() {
        return new MqttClientOptions(host, port, username, password, caFile, null, null);
    }

    public MqttClientOptions withPort(int port) {
        return new MqttClientOptions(host, port, username, password, caFile, certFile, keyFile);
    }

    /** The connection arguments shared by mosquitto_sub and mosquitto_pub. */
    public List<String> cliArgs() {
        if (certFile != null && caFile == null) {
            // mosquitto_sub/pub silently ignore --cert without --cafile and connect in plain TCP.
            throw new IllegalStateException("a client certificate needs a CA file (withCaFile)");
        }
        List<String> args = new ArrayList<>(List.of("-h", host, "-p", Integer.toString(port)));
        if (username != null) {
            args.addAll(List.of("-u", username));
            if (password != null) {
                args.addAll(List.of("-P", password));
            }
        }
        if (caFile != null) {
            args.addAll(List.of("--cafile", caFile.toString()));
        }
        if (certFile != null) {
            args.addAll(List.of("--cert", certFile.toString(), "--key", keyFile.toString()));
        }
        return args;
    }

    @Override
    public String toString() {
        // The password is left out: this string ends up in assertion messages and logs.
        return (isTls() ? "mqtts://" : "mqtt://") + (username == null ? "" : username + "@") + host + ":" + port
                + (certFile == null ? "" : " cert=" + certFile.getFileName());
    }
}
