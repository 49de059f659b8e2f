package org.minimeter.gateway.mqtt.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.minimeter.gateway.mqtt.testing.MosquittoSub.Message;

/**
 * The MQTT test infrastructure against a real mosquitto: each helper must work, and each must
 * be able to fail (a rejected client is reported as rejected, a missing message as missing).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MosquittoInfrastructureTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    @BeforeAll
    static void toolsInstalled() {
        assertThat(Mosquitto.isInstalled()).as("mosquitto and mosquitto-clients; " + Cli.INSTALL_HINT).isTrue();
    }

    @Test
    void anonymousBroker_subscriberReceivesWhatMosquittoPubPublishes() {
        try (Mosquitto broker = Mosquitto.builder().start();
                MosquittoSub sub = MosquittoSub.start(broker.clientOptions(), "minimeter/+/power",
                        "minimeter/+/energy")) {
            assertThat(broker.isRunning()).isTrue();
            assertThat(broker.host()).isEqualTo("127.0.0.1");
            String json = "{\"ts\":\"2026-01-01T00:00:00Z\",\"power_w\":2834.5}";
            MosquittoPub.publishOrFail(broker.clientOptions(), "minimeter/m1/power", json, 0, false);
            MosquittoPub.publishOrFail(broker.clientOptions(), "minimeter/m1/energy", "two words", 1, false);
            MosquittoPub.publishOrFail(broker.clientOptions(), "minimeter/m1/energy", "", 1, false);
            MosquittoPub.publishOrFail(broker.clientOptions(), "other/topic", "not subscribed", 0, false);

            List<Message> power = sub.awaitCount("minimeter/m1/power", 1, WAIT);
            assertThat(power).singleElement().satisfies(m -> {
                assertThat(m.payload()).isEqualTo(json);
                assertThat(m.qos()).isZero();
                assertThat(m.retained()).isFalse();
            });
            assertThat(sub.awaitCount("minimeter/+/energy", 2, WAIT)).extracting(Message::payload, Message::qos)
                    .containsExactly(tuple("two words", 1),
                            tuple("", 1));
            // Arrival order across topics, no probe messages, nothing from unsubscribed topics.
            assertThat(sub.messages()).extracting(Message::topic)
                    .containsExactly("minimeter/m1/power", "minimeter/m1/energy", "minimeter/m1/energy");

            // And it can fail: a message that never comes is reported with what did come.
            assertThatThrownBy(() -> sub.awaitCount("minimeter/m1/pulse", 1, Duration.ofMillis(300)))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("minimeter/m1/pulse").hasMessageContaining("two words");
        }
    }

    @Test
    void retainedMessage_isFetchedAfterThePublisherIsGone_andCanBeCleared() {
        try (Mosquitto broker = Mosquitto.builder().start()) {
            MqttClientOptions client = broker.clientOptions();
            assertThat(MosquittoSub.fetchRetained(client, "minimeter/#", WAIT)).isEmpty();

            // Each mosquitto_pub is its own connection, gone when publishOrFail returns.
            MosquittoPub.publishOrFail(client, "minimeter/m1/status", "online", 1, true);
            MosquittoPub.publishOrFail(client, "minimeter/m1/energy", "{\"delivered_kwh\":1.5}", 1, true);
            MosquittoPub.publishOrFail(client, "minimeter/m1/power", "live only", 0, false);

            List<Message> retained = MosquittoSub.fetchRetained(client, "minimeter/#", WAIT);
            assertThat(retained).extracting(Message::topic)
                    .containsExactlyInAnyOrder("minimeter/m1/status", "minimeter/m1/energy");
            assertThat(retained).allMatch(Message::retained);
            assertThat(MosquittoSub.fetchRetained(client, "minimeter/m1/status", 1, WAIT))
                    .singleElement().extracting(Message::payload).isEqualTo("online");

            // A late subscriber gets it as retained too.
            try (MosquittoSub late = MosquittoSub.start(client, "minimeter/m1/status")) {
                assertThat(late.awaitCount("minimeter/m1/status", 1, WAIT).get(0).retained()).isTrue();
            }

            assertThat(MosquittoPub.clearRetained(client, "minimeter/m1/status").succeeded()).isTrue();
            assertThat(MosquittoSub.fetchRetained(client, "minimeter/#", WAIT)).extracting(Message::topic)
                    .containsExactly("minimeter/m1/energy");
            assertThatThrownBy(() -> MosquittoSub.fetchRetained(client, "minimeter/#", 2, Duration.ofSeconds(1)))
                    .isInstanceOf(AssertionError.class);
        }
    }

    @Test
    void passwordBroker_rejectsWrongAndMissingPassword_acceptsTheRightOne() {
        try (Mosquitto broker = Mosquitto.builder().credentials("gateway", "s3cret pass").start()) {
            MqttClientOptions good = broker.clientOptions();
            assertThat(good.username()).contains("gateway");

            MosquittoPub.Result wrong = MosquittoPub.publish(good.withCredentials("gateway", "wrong"), "t", "x");
            assertThat(wrong.exitCode()).as(wrong.output()).isEqualTo(5); // CONNACK 5: not authorised
            assertThat(MosquittoPub.publish(broker.unauthenticatedClientOptions(), "t", "x").succeeded()).isFalse();
            assertThatThrownBy(() -> MosquittoSub.start(good.withCredentials("intruder", "s3cret pass"), "t"))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("not authorised");

            try (MosquittoSub sub = MosquittoSub.start(good, "t")) {
                MosquittoPub.Result right = MosquittoPub.publish(good, "t", "hello");
                assertThat(right.succeeded()).as(right.output()).isTrue();
                assertThat(sub.awaitCount("t", 1, WAIT).get(0).payload()).isEqualTo("hello");
            }
            assertThat(broker.log()).contains("not authorised");
        }
    }

    @Test
    void mutualTlsBroker_acceptsTheTestCaClient_rejectsUntrustedOrMissingClientCertificates() throws Exception {
        TestCertificates certs = TestCertificates.shared();
        try (Mosquitto broker = Mosquitto.builder().tls(certs, true).start()) {
            MqttClientOptions good = broker.clientOptions();
            assertThat(good.isTls()).isTrue();
            try (MosquittoSub sub = MosquittoSub.start(good, "secure/#")) {
                MosquittoPub.publishOrFail(good, "secure/a", "over tls", 1, false);
                assertThat(sub.awaitCount("secure/a", 1, WAIT).get(0).payload()).isEqualTo("over tls");
            }

            MqttClientOptions untrusted = good.withClientCertificate(certs.untrustedClientCert(),
                    certs.untrustedClientKey());
            assertThat(MosquittoPub.publish(untrusted, "secure/a", "x").succeeded()).isFalse();
            assertThatThrownBy(() -> MosquittoSub.start(untrusted, "secure/#"))
                    .isInstanceOf(IllegalStateException.class);
            assertThat(MosquittoPub.publish(good.withoutClientCertificate(), "secure/a", "x").succeeded()).isFalse();
            // The client side refuses a server it cannot verify.
            assertThat(MosquittoPub.publish(good.withCaFile(certs.untrustedCaCert()), "secure/a", "x").succeeded())
                    .isFalse();
            assertThat(broker.log()).contains("certificate verify failed");

            // The pure-Java PEM helpers, with hostname verification on 127.0.0.1 (the SAN).
            assertThat(mqttConnectOverJavaTls(broker, certs.clientSslContext())).isEqualTo(0);
            SSLContext untrustedJava = PemKeys.sslContext(certs.caCert(), certs.untrustedClientCert(),
                    certs.untrustedClientKey());
            assertThat(mqttConnectOverJavaTls(broker, untrustedJava)).isEqualTo(-1);
            SSLContext noServerTrust = PemKeys.sslContext(certs.untrustedCaCert(), certs.clientCert(),
                    certs.clientKey());
            assertThat(mqttConnectOverJavaTls(broker, noServerTrust)).isEqualTo(-1);
        }

        KeyStore p12 = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(certs.clientKeyStoreP12())) {
            p12.load(in, TestCertificates.KEYSTORE_PASSWORD.toCharArray());
        }
        assertThat(p12.getCertificateChain("client")).hasSize(2);
        assertThat(PemKeys.readCertificates(certs.clientCert()).get(0).getSubjectX500Principal().getName())
                .isEqualTo("CN=" + TestCertificates.CLIENT_CN);
        assertThat(Files.exists(certs.trustStoreP12())).isTrue();
    }

    @Test
    void killAndRestart_onTheSamePort_newAndOldSubscribersConnect() {
        try (Mosquitto broker = Mosquitto.builder().start();
                MosquittoSub survivor = MosquittoSub.start(broker.clientOptions(), "r/#")) {
            int port = broker.port();
            long pid = broker.pid();
            broker.kill();
            assertThat(broker.isRunning()).isFalse();
            assertThat(MosquittoPub.publish(broker.clientOptions(), "r/x", "down").succeeded()).isFalse();

            broker.start();
            assertThat(broker.port()).isEqualTo(port);
            assertThat(broker.pid()).isNotEqualTo(pid);
            try (MosquittoSub fresh = MosquittoSub.start(broker.clientOptions(), "r/#")) {
                MosquittoPub.publishOrFail(broker.clientOptions(), "r/x", "after kill", 1, false);
                assertThat(fresh.awaitCount("r/x", 1, WAIT).get(0).payload()).isEqualTo("after kill");
            }
            // mosquitto_sub reconnects by itself (about 1 s back-off), re-subscribing with a clean session.
            awaitRepublished(broker, survivor, "r/y");

            broker.restart(); // SIGTERM + start, with established connections, so TIME_WAIT on the port
            assertThat(broker.port()).isEqualTo(port);
            try (MosquittoSub fresh = MosquittoSub.start(broker.clientOptions(), "r/#")) {
                MosquittoPub.publishOrFail(broker.clientOptions(), "r/z", "after restart", 0, false);
                assertThat(fresh.awaitCount("r/z", 1, WAIT)).hasSize(1);
            }
        }
    }

    @Test
    void persistence_keepsRetainedMessagesAndQueuedQos1AcrossAKill() {
        try (Mosquitto broker = Mosquitto.builder().persistence(true).start()) {
            MqttClientOptions client = broker.clientOptions();
            try (MosquittoSub durable = MosquittoSub.builder(client).topics("q/#").persistentSession("durable-1")
                    .start()) {
                assertThat(durable.isAlive()).isTrue();
            }
            MosquittoPub.publishOrFail(client, "q/status", "online", 1, true);
            MosquittoPub.publishOrFail(client, "q/pulse", "{\"seq\":1}", 1, false);
            // The autosave runs on the broker's next main-loop pass after a change, not inside the
            // PUBACK: a kill in the same instant could lose the last message.
            sleep(Mosquitto.AUTOSAVE_DELAY);
            broker.kill();
            broker.start();
            assertThat(MosquittoSub.fetchRetained(client, "q/status", WAIT)).extracting(Message::payload)
                    .containsExactly("online");
            try (MosquittoSub durable = MosquittoSub.builder(client).topics("q/#").persistentSession("durable-1")
                    .start()) {
                assertThat(durable.awaitCount("q/pulse", 1, WAIT).get(0).payload()).isEqualTo("{\"seq\":1}");
            }
        }
    }

    @Test
    void brokerThatCannotStart_reportsItsLog() {
        assertThatThrownBy(() -> Mosquitto.builder().configLine("no_such_option 1").start())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("no_such_option");
    }

    @Test
    void topicFilterMatching() {
        assertThat(MosquittoSub.topicMatches("a/+/c", "a/b/c")).isTrue();
        assertThat(MosquittoSub.topicMatches("a/+/c", "a/b/d")).isFalse();
        assertThat(MosquittoSub.topicMatches("a/#", "a")).isTrue();
        assertThat(MosquittoSub.topicMatches("a/#", "a/b/c")).isTrue();
        assertThat(MosquittoSub.topicMatches("#", "$SYS/x")).isFalse();
        assertThat(MosquittoSub.topicMatches("a/b", "a/b/c")).isFalse();
        assertThat(MosquittoSub.parse("1 1 6869 a topic with spaces"))
                .extracting(Message::topic, Message::payload, Message::retained)
                .containsExactly("a topic with spaces", "hi", true);
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Publishes until the (reconnecting) subscriber has one message on the topic. */
    private static void awaitRepublished(Mosquitto broker, MosquittoSub sub, String topic) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (sub.messages(topic).isEmpty() && System.nanoTime() < deadline) {
            MosquittoPub.publish(broker.clientOptions(), topic, "ping");
            try {
                sub.awaitCount(topic, 1, Duration.ofMillis(200));
            } catch (AssertionError notYet) {
                // still reconnecting
            }
        }
        assertThat(sub.messages(topic)).as("subscriber reconnected after the broker came back; " + sub.stderr())
                .isNotEmpty();
    }

    /**
     * A bare MQTT 3.1.1 CONNECT over a JSSE socket; returns the CONNACK return code, or -1 if
     * the TLS handshake or the connection failed.
     */
    private static int mqttConnectOverJavaTls(Mosquitto broker, SSLContext context) {
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket()) {
            socket.connect(new InetSocketAddress(broker.host(), broker.port()), 2000);
            socket.setSoTimeout(3000);
            SSLParameters params = socket.getSSLParameters();
            params.setEndpointIdentificationAlgorithm("HTTPS");
            socket.setSSLParameters(params);
            OutputStream out = socket.getOutputStream();
            // CONNECT: protocol "MQTT" level 4, clean session, keep-alive 60 s, empty client id.
            out.write(new byte[] {0x10, 12, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 60, 0, 0});
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] connack = in.readNBytes(4);
            if (connack.length != 4 || connack[0] != 0x20) {
                return -1;
            }
            return connack[3];
        } catch (IOException e) {
            return -1;
        }
    }
}
