package org.minimeter.gateway.sparkplug;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The edge node's session logic against a session in memory, every payload read back with the
 * independent {@link SparkplugWire} decoder. Sections and statement ids are those of the
 * Sparkplug 3.0.0 specification; the README's "Sparkplug B" section lists them all.
 */
class SparkplugEdgeNodeTest {

    static final long T0 = 1_800_000_000_000L;
    static final String G = "plant";
    static final String E = "gw1";

    @TempDir
    Path dir;

    final TestClock clock = new TestClock(T0);
    final MemoryTransport transport = new MemoryTransport();
    final Map<String, FakeMeter> meters = new LinkedHashMap<>();
    final List<EdgeNode> nodes = new ArrayList<>();

    @AfterEach
    void stop() {
        nodes.forEach(EdgeNode::stop);
    }

    static EdgeNodeSettings settings(Optional<String> primaryHost) {
        Map<Quantity, Deadband> d = new EnumMap<>(Quantity.class);
        d.put(Quantity.ENERGY, Deadband.parse("0.001"));
        d.put(Quantity.POWER, Deadband.parse("1%"));
        d.put(Quantity.VOLTAGE, Deadband.parse("0.5"));
        d.put(Quantity.CURRENT, Deadband.parse("1%"));
        d.put(Quantity.POWER_FACTOR, Deadband.parse("0.01"));
        d.put(Quantity.FREQUENCY, Deadband.parse("0.01"));
        return new EdgeNodeSettings(G, E, primaryHost, Duration.ofSeconds(1), Duration.ofSeconds(10), 1 << 20, d);
    }

    EdgeNode node(Optional<String> primaryHost) {
        if (meters.isEmpty()) {
            meters.put("house", new FakeMeter(2));
            meters.put("shop", new FakeMeter(1));
        }
        EdgeNode n = new EdgeNode(settings(primaryHost), List.copyOf(meters.keySet()),
                id -> Optional.ofNullable(meters.get(id)), transport, dir, clock, "test");
        transport.start(n.willTopic(), n.subscriptions(), n.events());
        nodes.add(n);
        return n;
    }

    EdgeNode node() {
        return node(Optional.empty());
    }

    List<Long> seqs() {
        return transport.sent.stream().map(s -> s.decoded().seq()).toList();
    }

    @Test
    void connect_publishesNbirthWithSeqZeroAndTheWillsBdSeq_thenADbirthPerMeter() {
        node();
        transport.connect();

        assertThat(transport.sent).extracting(MemoryTransport.Sent::topic).containsExactly(
                "spBv1.0/plant/NBIRTH/gw1", "spBv1.0/plant/DBIRTH/gw1/house", "spBv1.0/plant/DBIRTH/gw1/shop");
        SparkplugWire.Payload will = SparkplugWire.decode(transport.wills.get(0));
        SparkplugWire.Payload nbirth = transport.sent.get(0).decoded();
        // 6.4.19 [payloads-nbirth-seq], 6.4.5 [payloads-sequence-num-zero-nbirth]
        assertThat(nbirth.seq()).isZero();
        // 4.2.1.1.2 [topics-nbirth-bdseq-included], [topics-nbirth-bdseq-matching]; 6.4.25 [payloads-ndeath-bdseq]
        assertThat(nbirth.metric("bdSeq").datatype()).isEqualTo(SparkplugWire.INT64);
        assertThat(nbirth.metric("bdSeq").asLong()).isEqualTo(will.metric("bdSeq").asLong()).isZero();
        // 5.17 [operational-behavior-data-commands-rebirth-name], [-datatype], [-value], [-name-aliases]
        SparkplugWire.Metric rebirth = nbirth.metric("Node Control/Rebirth");
        assertThat(rebirth.datatype()).isEqualTo(SparkplugWire.BOOLEAN);
        assertThat(rebirth.asBoolean()).isFalse();
        assertThat(rebirth.alias()).isNull();
        // 6.4.19 [payloads-nbirth-timestamp]; 6.4.20 [payloads-dbirth-seq-inc]
        assertThat(nbirth.timestamp()).isEqualTo(T0);
        assertThat(nbirth.metric("Node Info/Meters").asLong()).isEqualTo(2);
        assertThat(nbirth.metric("Node Info/Meters").datatype()).isEqualTo(SparkplugWire.INT64);
        assertThat(seqs()).containsExactly(0L, 1L, 2L);

        SparkplugWire.Payload house = transport.sent.get(1).decoded();
        // 4.2.2.1.2 [topics-dbirth-metrics], 6.4.6 [payloads-alias-birth-requirement], [payloads-metric-datatype-req]
        assertThat(house.metrics()).hasSize(51).allSatisfy(m -> {
            assertThat(m.name()).isNotBlank();
            assertThat(m.alias()).isBetween(1000L, 1999L);
            assertThat(m.datatype()).isNotNull();
            assertThat(m.timestamp()).isEqualTo(T0);
        });
        assertThat(house.metric("L1/Voltage").asDouble()).isEqualTo(120.0);
        assertThat(house.metric("L1/Voltage").properties()).containsEntry("engUnit", "V");
        assertThat(house.metric("Energy/Delivered").properties()).containsEntry("engUnit", "kWh");
        assertThat(house.metric("Power/Active").asDouble()).isEqualTo(2400.0);
        assertThat(house.metric("Alarms/source_failed").asBoolean()).isFalse();
        assertThat(house.metric("Pulses/pulse10").datatype()).isEqualTo(SparkplugWire.UINT64);
        assertThat(house.metric("Source/State").value()).isEqualTo("running");
        SparkplugWire.Payload shop = transport.sent.get(2).decoded();
        assertThat(shop.metrics()).hasSize(38).allSatisfy(m -> assertThat(m.alias()).isBetween(2000L, 2999L));
        // 6.4.6 [payloads-alias-uniqueness]: across the edge node's metrics
        List<Long> aliases = new ArrayList<>(nbirth.metrics().stream().map(SparkplugWire.Metric::alias)
                .filter(a -> a != null).toList());
        house.metrics().forEach(m -> aliases.add(m.alias()));
        shop.metrics().forEach(m -> aliases.add(m.alias()));
        assertThat(aliases).doesNotHaveDuplicates();
    }

    @Test
    void theWill_isAnNdeathWithOnlyTheBdSeqAndNoSeq() {
        EdgeNode n = node();
        // 5.4 [message-flow-edge-node-birth-publish-will-message-topic]
        assertThat(transport.willTopic).isEqualTo("spBv1.0/plant/NDEATH/gw1");
        // 5.4 [message-flow-edge-node-ncmd-subscribe]
        assertThat(transport.subscriptions).contains("spBv1.0/plant/NCMD/gw1");
        transport.connect();
        SparkplugWire.Payload will = SparkplugWire.decode(transport.wills.get(0));
        // 4.2.1.3.2 [topics-ndeath-payload], [topics-ndeath-seq]; 6.4.25 [payloads-ndeath-seq]
        assertThat(will.seq()).isNull();
        assertThat(will.metrics()).singleElement().satisfies(m -> {
            assertThat(m.name()).isEqualTo("bdSeq");
            assertThat(m.datatype()).isEqualTo(SparkplugWire.INT64);
        });
        n.stop();
        nodes.remove(n);
        // 5.5 [operational-behavior-edge-node-intentional-disconnect-ndeath]: the same bdSeq
        assertThat(SparkplugWire.decode(transport.deaths.get(0)).metric("bdSeq").asLong()).isZero();
        assertThat(transport.closed).isTrue();
    }

    @Test
    void ddata_carriesOnlyMetricsPastTheirDeadband_byAliasWithoutNameOrDatatype() {
        EdgeNode n = node();
        transport.connect();
        FakeMeter house = meters.get("house");
        transport.sent.clear();

        house.volts = 120.4; // < 0.5 V
        house.amps = 10.05; // < 1 %
        house.deliveredMicroWh = 999_000; // < 0.001 kWh
        n.scan();
        assertThat(transport.sent).isEmpty();

        house.volts = 120.6; // 0.6 V from the 120 reported
        house.deliveredMicroWh = 1_000_000; // 1 Wh
        clock.advance(1000);
        n.scan();
        // 6.4.22: one DDATA, only the changed metrics
        assertThat(transport.sent).singleElement().satisfies(s -> assertThat(s.topic())
                .isEqualTo("spBv1.0/plant/DDATA/gw1/house"));
        SparkplugWire.Payload d = transport.sent.get(0).decoded();
        // 6.4.6 [payloads-alias-data-cmd-requirement], [payloads-metric-datatype-not-req],
        // [payloads-name-birth-data-requirement]
        assertThat(d.metrics()).allSatisfy(m -> {
            assertThat(m.name()).isNull();
            assertThat(m.datatype()).isNull();
            assertThat(m.timestamp()).isEqualTo(T0 + 1000);
            assertThat(m.historical()).isFalse();
        });
        Map<Long, Double> byAlias = new LinkedHashMap<>();
        d.metrics().forEach(m -> byAlias.put(m.alias(), m.asDouble()));
        // aliases: device 1; Energy/Delivered 0, L1 Energy/Delivered 7, L1/Voltage 9, L2 .. 15, 17
        assertThat(byAlias).containsEntry(1000L, 0.001).containsEntry(1009L, 120.6).containsEntry(1017L, 120.6)
                .doesNotContainKey(1010L);
        // power moved 0.5 % of 1200 W (amps) and 0.5 % (volts): 1 % cumulative from the last reported
        assertThat(d.seq()).isEqualTo(3);

        house.amps = 10.2; // 2 % from 10 reported
        clock.advance(1000);
        n.scan();
        SparkplugWire.Payload d2 = transport.sent.get(1).decoded();
        assertThat(d2.metrics()).extracting(SparkplugWire.Metric::alias).contains(1010L, 1002L);
    }

    @Test
    void aValueNotKnown_isNull_notNaN() {
        meters.put("house", new FakeMeter(2));
        meters.get("house").measured = false;
        node();
        transport.connect();
        SparkplugWire.Payload birth = transport.sent.get(1).decoded();
        // 5.16 [operational-behavior-data-publish-dbirth-values]: is_null and no value
        assertThat(birth.metric("L1/Voltage").isNull()).isTrue();
        assertThat(birth.metric("L1/Voltage").value()).isNull();
        assertThat(birth.metric("Energy/Delivered").isNull()).isFalse();
    }

    @Test
    void seq_runsOnEveryMessage_andWrapsFrom255ToZero() {
        EdgeNode n = node();
        transport.connect();
        FakeMeter house = meters.get("house");
        for (int i = 0; i < 600; i++) {
            house.volts = i % 2 == 0 ? 121 : 119;
            clock.advance(1000);
            n.scan();
        }
        List<Long> seqs = seqs();
        assertThat(seqs).hasSizeGreaterThan(600);
        // 6.4.5 [payloads-sequence-num-incrementing], 4.2.2.2.2 [topics-ddata-seq-num]
        for (int i = 1; i < seqs.size(); i++) {
            assertThat(seqs.get(i)).as("message %d", i).isEqualTo((seqs.get(i - 1) + 1) % 256);
        }
        assertThat(seqs).contains(255L).allSatisfy(s -> assertThat(s).isBetween(0L, 255L));
    }

    @Test
    void bdSeq_takesTheNextValueOnEveryConnect_survivesANewProcess_andWrapsAt255() throws Exception {
        node();
        transport.connect();
        transport.drop();
        transport.connect();
        assertThat(transport.wills).extracting(w -> SparkplugWire.decode(w).metric("bdSeq").asLong())
                .containsExactly(0L, 1L);
        assertThat(transport.sent("NBIRTH")).extracting(s -> s.decoded().metric("bdSeq").asLong())
                .containsExactly(0L, 1L);
        assertThat(Files.readString(dir.resolve("bdseq")).trim()).isEqualTo("1");

        // a new process (the old one killed): the next CONNECT takes 2
        nodes.remove(0).stop();
        MemoryTransport second = new MemoryTransport();
        EdgeNode again = new EdgeNode(settings(Optional.empty()), List.of("house"),
                id -> Optional.ofNullable(meters.get(id)), second, dir, clock, "test");
        nodes.add(again);
        second.start(again.willTopic(), again.subscriptions(), again.events());
        second.connect();
        assertThat(SparkplugWire.decode(second.wills.get(0)).metric("bdSeq").asLong()).isEqualTo(2);

        // 5.4 [message-flow-edge-node-birth-publish-will-message-payload-bdSeq]: 255 is followed by 0
        Files.writeString(dir.resolve("bdseq"), "255\n", StandardCharsets.US_ASCII);
        BdSeqStore store = new BdSeqStore(dir);
        assertThat(store.next()).isZero();
        assertThat(store.next()).isEqualTo(1);
    }

    @Test
    void ncmdRebirth_sendsNbirthWithSeqZeroAndTheSameBdSeq_thenEveryDbirth() {
        EdgeNode n = node();
        transport.connect();
        meters.get("house").volts = 125;
        clock.advance(1000);
        n.scan();
        transport.sent.clear();

        transport.deliver("spBv1.0/plant/NCMD/gw1", SparkplugWire.rebirthCommand(clock.millis(), false));
        assertThat(transport.sent).isEmpty();
        transport.deliver("spBv1.0/plant/NCMD/gw1", SparkplugWire.rebirthCommand(clock.millis(), true));
        // 5.17 [operational-behavior-data-commands-rebirth-action-2], [-action-3]
        assertThat(transport.sent).extracting(MemoryTransport.Sent::type).containsExactly("NBIRTH", "DBIRTH", "DBIRTH");
        assertThat(seqs()).containsExactly(0L, 1L, 2L);
        assertThat(transport.sent.get(0).decoded().metric("bdSeq").asLong()).isZero();
        assertThat(transport.sent.get(1).decoded().metric("L1/Voltage").asDouble()).isEqualTo(125.0);
        assertThat(transport.wills).hasSize(1);
    }

    @Test
    void aFailedSource_getsADdeath_andItsReturnADbirth() {
        EdgeNode n = node();
        transport.connect();
        transport.sent.clear();
        FakeMeter shop = meters.get("shop");
        shop.available = false;
        clock.advance(1000);
        n.scan();
        n.scan();
        // 5.7 [operational-behavior-device-ddeath]; 6.4.26 [payloads-ddeath-seq-inc]
        assertThat(transport.sent).singleElement().satisfies(s -> {
            assertThat(s.topic()).isEqualTo("spBv1.0/plant/DDEATH/gw1/shop");
            assertThat(s.decoded().seq()).isEqualTo(3);
            assertThat(s.decoded().timestamp()).isEqualTo(T0 + 1000);
        });
        shop.available = true;
        shop.volts = 230;
        clock.advance(1000);
        n.scan();
        assertThat(transport.sent.get(1).topic()).isEqualTo("spBv1.0/plant/DBIRTH/gw1/shop");
        assertThat(transport.sent.get(1).decoded().metric("L1/Voltage").asDouble()).isEqualTo(230.0);
    }

    @Test
    void withAPrimaryHost_birthsWaitForItsStateOnline_andItsOfflineEndsTheSession() {
        EdgeNode n = node(Optional.of("scada"));
        String state = "spBv1.0/STATE/scada";
        assertThat(transport.subscriptions).contains(state);
        transport.connect();
        // 5.4 [message-flow-edge-node-birth-publish-phid-wait]
        assertThat(transport.sent).isEmpty();
        assertThat(n.state()).isEqualTo(EdgeNode.State.WAITING_FOR_HOST);
        transport.deliver(state, json(false, 100));
        assertThat(transport.sent).isEmpty();
        // 5.4 [message-flow-edge-node-birth-publish-phid-wait-online]
        transport.deliver(state, json(true, 200));
        assertThat(transport.sent).extracting(MemoryTransport.Sent::type).containsExactly("NBIRTH", "DBIRTH", "DBIRTH");
        // 5.4 [message-flow-edge-node-birth-publish-phid-wait-timestamp]: an older STATE is ignored
        transport.deliver(state, json(false, 150));
        assertThat(n.state()).isEqualTo(EdgeNode.State.ONLINE);
        // 5.4 [message-flow-edge-node-birth-publish-phid-offline], 5.5 [operational-behavior-edge-node-termination-host-offline]
        transport.deliver(state, json(false, 300));
        assertThat(transport.deaths).singleElement()
                .satisfies(d -> assertThat(SparkplugWire.decode(d).metric("bdSeq").asLong()).isZero());
        assertThat(n.state()).isEqualTo(EdgeNode.State.OFFLINE);
        // connecting again takes a new bdSeq, and waits again
        transport.connect();
        assertThat(n.state()).isEqualTo(EdgeNode.State.WAITING_FOR_HOST);
        transport.deliver(state, json(true, 400));
        assertThat(transport.sent("NBIRTH")).extracting(s -> s.decoded().metric("bdSeq").asLong())
                .containsExactly(0L, 1L);
    }

    static byte[] json(boolean online, long ts) {
        return ("{\"online\":" + online + ",\"timestamp\":" + ts + "}").getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void whileOffline_changesAreStored_andSentAfterTheBirthsAsHistoricalInOrder() {
        EdgeNode n = node();
        transport.connect();
        FakeMeter house = meters.get("house");
        transport.drop();
        transport.sent.clear();
        for (int k = 1; k <= 30; k++) {
            clock.advance(1000);
            house.deliveredMicroWh += 500_000; // 0.5 Wh a second
            n.scan();
        }
        // stored every 10 s from the first scan offline: at 1 s 0.5 Wh is inside the 1 Wh deadband,
        // at 11 s and 21 s the energy (and nothing else) has moved past it
        assertThat(n.stats().historyDepth()).isEqualTo(2);
        clock.advance(5000);
        transport.connect();

        List<String> types = transport.sent.stream().map(MemoryTransport.Sent::type).toList();
        assertThat(types.subList(0, 3)).containsExactly("NBIRTH", "DBIRTH", "DBIRTH");
        List<SparkplugWire.Payload> hist = transport.sent("DDATA").stream().map(MemoryTransport.Sent::decoded)
                .toList();
        assertThat(hist).hasSize(2).allSatisfy(p -> assertThat(p.metrics()).allSatisfy(m -> {
            assertThat(m.historical()).isTrue();
            assertThat(m.name()).isNull();
        }));
        List<Long> ts = hist.stream().map(p -> p.byAlias(1000).timestamp()).toList();
        assertThat(ts).isSorted().containsExactly(T0 + 11_000, T0 + 21_000);
        List<Double> energy = hist.stream().map(p -> p.byAlias(1000).asDouble()).toList();
        assertThat(energy).isSorted();
        double born = transport.sent("DBIRTH").get(0).decoded().metric("Energy/Delivered").asDouble();
        assertThat(energy.get(energy.size() - 1)).isLessThanOrEqualTo(born);
        assertThat(energy).containsExactly(0.0055, 0.0105);
        assertThat(seqs()).containsExactly(0L, 1L, 2L, 3L, 4L);
        assertThat(n.stats().historyDepth()).isZero();
        assertThat(n.stats().historical()).isEqualTo(2);
    }

    @Test
    void historyRecordedBeforeARestart_isSentAfterTheNewProcessBirths() {
        EdgeNode first = node();
        FakeMeter house = meters.get("house");
        house.deliveredMicroWh = 7_000_000;
        first.scan(); // never connected: everything recorded
        nodes.remove(first);
        first.stop();

        MemoryTransport second = new MemoryTransport();
        EdgeNode again = new EdgeNode(settings(Optional.empty()), List.copyOf(meters.keySet()),
                id -> Optional.ofNullable(meters.get(id)), second, dir, clock, "test");
        nodes.add(again);
        second.start(again.willTopic(), again.subscriptions(), again.events());
        assertThat(again.stats().historyDepth()).isEqualTo(2);
        clock.advance(60_000);
        second.connect();
        List<SparkplugWire.Payload> hist = second.sent("DDATA").stream().map(MemoryTransport.Sent::decoded).toList();
        assertThat(hist).hasSize(2).allSatisfy(p -> assertThat(p.metrics()).allSatisfy(m -> {
            assertThat(m.historical()).isTrue();
            assertThat(m.timestamp()).isEqualTo(T0);
        }));
        assertThat(hist.get(0).byAlias(1000).asDouble()).isEqualTo(0.007);
    }

    @Test
    void deadbandParsing_absoluteOrPercent() {
        assertThat(Deadband.parse("0.5").exceeded(120, 120.4)).isFalse();
        assertThat(Deadband.parse("0.5").exceeded(120, 120.5)).isTrue();
        assertThat(Deadband.parse("1%").exceeded(1000, 1009)).isFalse();
        assertThat(Deadband.parse("1%").exceeded(1000, 990)).isTrue();
        assertThat(Deadband.parse("1%").exceeded(0, 0.001)).isTrue();
        assertThat(Deadband.parse("0").exceeded(1, 1)).isFalse();
        assertThat(Deadband.parse(" 2 % ").toString()).isEqualTo("2%");
    }
}
