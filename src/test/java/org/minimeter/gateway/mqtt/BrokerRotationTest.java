package org.minimeter.gateway.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.minimeter.gateway.mqtt.MqttSettings.Broker;

class BrokerRotationTest {

    static final Broker A = new Broker("node-a", 1883);
    static final Broker B = new Broker("node-b", 1884);
    static final Broker C = new Broker("node-c", 1883);

    @Test
    void oneBroker_isRetriedWithTheBackoffItAlwaysHad_1sDoublingTo30s() {
        BrokerRotation r = new BrokerRotation(List.of(A));
        List<Long> delays = new ArrayList<>();
        for (int k = 0; k < 8; k++) {
            BrokerRotation.Next next = r.failed();
            assertThat(next.broker()).isEqualTo(A);
            delays.add(next.delayMs());
        }
        assertThat(delays).containsExactly(1000L, 2000L, 4000L, 8000L, 16000L, 30000L, 30000L, 30000L);
    }

    @Test
    void aLostBroker_isLeftForTheNextInOrder_wrappingRoundToTheFirst() {
        BrokerRotation r = new BrokerRotation(List.of(A, B, C));
        assertThat(r.current()).isEqualTo(A);
        assertThat(r.failed().broker()).isEqualTo(B);
        assertThat(r.failed().broker()).isEqualTo(C);
        assertThat(r.failed().broker()).isEqualTo(A);
        assertThat(r.current()).isEqualTo(A);
    }

    @Test
    void backoff_doublesPerFullRound_soEveryNodeIsTriedQuicklyFirst() {
        BrokerRotation r = new BrokerRotation(List.of(A, B, C));
        List<Long> delays = new ArrayList<>();
        for (int k = 0; k < 9; k++) {
            delays.add(r.failed().delayMs());
        }
        assertThat(delays).containsExactly(1000L, 1000L, 1000L, 2000L, 2000L, 2000L, 4000L, 4000L, 4000L);
    }

    @Test
    void aConnect_restartsTheBackoff_andKeepsTheBrokerItLandedOn() {
        BrokerRotation r = new BrokerRotation(List.of(A, B, C));
        for (int k = 0; k < 7; k++) {
            r.failed();
        }
        assertThat(r.current()).isEqualTo(B);
        r.connected();
        assertThat(r.current()).isEqualTo(B);
        BrokerRotation.Next next = r.failed();
        assertThat(next.broker()).isEqualTo(C);
        assertThat(next.delayMs()).isEqualTo(1000);
    }

    @ParameterizedTest(name = "{0} failures among {1} brokers: {2} ms")
    @CsvSource({"0,1,1000", "4,1,16000", "5,1,30000", "1000,1,30000", "2,3,1000", "3,3,2000", "14,3,16000", "15,3,30000",
        "2147483647,2,30000"})
    void delay_isBoundedWhateverTheCount(int failures, int brokers, long expected) {
        assertThat(BrokerRotation.delayMs(failures, brokers)).isEqualTo(expected);
    }

    @Test
    void anIpv6Broker_printsInBrackets() {
        assertThat(new Broker("::1", 1883)).hasToString("[::1]:1883");
        assertThat(A).hasToString("node-a:1883");
    }
}
