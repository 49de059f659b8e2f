package org.minimeter.gateway.modbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.minimeter.gateway.PackagedGateway.freePort;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minimeter.gateway.PackagedGateway;

/**
 * The packaged gateway ({@code target/quarkus-app/quarkus-run.jar}, run as a user runs it)
 * read by an independent Modbus client, Debian's {@code mbpoll} (libmodbus): every point of
 * SunSpec models 1, 202 and 201 decoded with its scale factor to the simulator's configured
 * V, I, P, Q, S, PF and f within 0.5 %; the SDM map's floats likewise; and the exception codes
 * for a write, another function, a bad address and an unknown unit. Runs in {@code mvn verify}.
 *
 * <p>The simulated meters: {@code split}, 2 elements at 60 Hz, 120 V and 50 A per element with
 * the current 60 degrees behind (3000 W, 5196 var, 6000 VA, PF 0.5 each), unit 1 by default;
 * {@code single}, 1 element at 50 Hz, 240 V and 20 A in phase (4800 W), unit 7 set explicitly.
 */
class ModbusIT {

    static final double TOLERANCE = 0.005;
    static final double Q = 120 * 50 * Math.sin(Math.toRadians(60));

    @TempDir
    Path work;
    private Process gateway;
    private int port;

    @AfterEach
    void stop() throws Exception {
        if (gateway != null) {
            PackagedGateway.stop(gateway);
        }
    }

    private void start(String map) throws Exception {
        port = freePort();
        PackagedGateway.writeConfig(work,
                "gateway.id=gw-modbus",
                "mqtt.port=" + freePort(),
                "storage.dir=" + work.resolve("data"),
                "quarkus.http.port=0",
                "simulator.speed=20",
                "meters.split.simulator.voltage=120",
                "meters.split.simulator.current=50",
                "meters.split.simulator.phase-deg=60",
                "meters.single.elements=1",
                "meters.single.frequency=50",
                "meters.single.ct-rating=100",
                "meters.single.simulator.voltage=240",
                "meters.single.simulator.current=20",
                "meters.single.modbus.unit-id=7",
                "modbus.enabled=true",
                "modbus.host=127.0.0.1",
                "modbus.port=" + port,
                "modbus.map=" + map);
        gateway = PackagedGateway.start(work);
        // both meters answer once they have a window
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        String table = map.equals("sdm") ? "3" : "4";
        String first = map.equals("sdm") ? "0" : "40000";
        for (int unit : new int[] {1, 7}) {
            while (!mbpoll("-a", "" + unit, "-t", table, "-r", first, "-c", "1").ok()) {
                assertThat(gateway.isAlive()).as(log()).isTrue();
                assertThat(System.nanoTime()).as("unit %d answering within 90 s; %s", unit, log()).isLessThan(until);
                Thread.sleep(500);
            }
        }
        // and both registers have been saved with energy in them (about once a second)
        for (int unit : new int[] {1, 7}) {
            while (map.equals("sdm") ? floats(unit, 0x0048, 1).get(0x0048) <= 0
                    : acc32(holding(unit, 40116, 2), 40116) <= 0) {
                assertThat(System.nanoTime()).as("unit %d with energy within 90 s", unit).isLessThan(until);
                Thread.sleep(500);
            }
        }
    }

    private String log() {
        return PackagedGateway.log(work);
    }

    record Poll(int exit, String out, String err) {
        boolean ok() {
            return exit == 0 && err.isBlank();
        }
    }

    /** {@code mbpoll} once, protocol (0-based) addresses, against the gateway. */
    private Poll mbpoll(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("mbpoll", "-m", "tcp", "-p", "" + port, "-1", "-0", "-o", "2"));
        command.addAll(List.of(args));
        int host = command.indexOf("--");
        if (host >= 0) {
            command.add(host, "127.0.0.1");
        } else {
            command.add("127.0.0.1");
        }
        Process p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.PIPE)
                .redirectError(ProcessBuilder.Redirect.PIPE).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        return new Poll(p.exitValue(), out, err);
    }

    private static final Pattern LINE = Pattern.compile("^\\[(\\d+)]:\\s+(\\S+)", Pattern.MULTILINE);

    /** Holding registers as unsigned 16-bit words, read in blocks of at most 125. */
    private Map<Integer, Integer> holding(int unit, int first, int count) throws Exception {
        Map<Integer, Integer> words = new TreeMap<>();
        for (int at = first; at < first + count; at += 125) {
            int n = Math.min(125, first + count - at);
            Poll p = mbpoll("-a", "" + unit, "-t", "4:hex", "-r", "" + at, "-c", "" + n);
            assertThat(p.ok()).as(p.err()).isTrue();
            Matcher m = LINE.matcher(p.out());
            while (m.find()) {
                words.put(Integer.parseInt(m.group(1)), Integer.decode(m.group(2)));
            }
        }
        assertThat(words).hasSize(count);
        return words;
    }

    /** Input-register floats (high word first, {@code -B}) by address. */
    private Map<Integer, Double> floats(int unit, int first, int count) throws Exception {
        Poll p = mbpoll("-a", "" + unit, "-t", "3:float", "-B", "-r", "" + first, "-c", "" + count);
        assertThat(p.ok()).as(p.err()).isTrue();
        Map<Integer, Double> values = new TreeMap<>();
        Matcher m = LINE.matcher(p.out());
        while (m.find()) {
            values.put(Integer.parseInt(m.group(1)), Double.parseDouble(m.group(2)));
        }
        assertThat(values).hasSize(count);
        return values;
    }

    private static String ascii(Map<Integer, Integer> r, int at, int registers) {
        StringBuilder b = new StringBuilder();
        for (int k = 0; k < registers; k++) {
            int w = r.get(at + k);
            for (int c : new int[] {w >> 8, w & 0xFF}) {
                if (c != 0) {
                    b.append((char) c);
                }
            }
        }
        return b.toString();
    }

    /** A SunSpec point decoded with its scale factor (both int16). */
    private static double scaled(Map<Integer, Integer> r, int point, int sf) {
        assertThat(r.get(point)).as("point %d implemented", point).isNotEqualTo(0x8000);
        return (short) (int) r.get(point) * Math.pow(10, (short) (int) r.get(sf));
    }

    private static long acc32(Map<Integer, Integer> r, int at) {
        return (long) r.get(at) << 16 | r.get(at + 1);
    }

    private static void near(double actual, double expected, String what) {
        assertThat(actual).as(what).isCloseTo(expected, within(Math.abs(expected) * TOLERANCE + 1e-9));
    }

    @Test
    void sunSpec_everyPointOfModels1_202_201_decodesToTheSimulatedMeter_andErrorsHaveTheirCodes() throws Exception {
        start("sunspec");
        Map<Integer, Integer> r = holding(1, 40000, 179);

        // the walk a SunSpec client does: marker, models by ID and length, end model
        assertThat(ascii(r, 40000, 2)).isEqualTo("SunS");
        assertThat(r.get(40002)).isEqualTo(1);
        assertThat(r.get(40003)).isEqualTo(66);
        assertThat(ascii(r, 40004, 16)).isEqualTo("Mini Meter");
        assertThat(ascii(r, 40020, 16)).isEqualTo("Mini Meter 2-element 200 A 60 Hz");
        assertThat(ascii(r, 40036, 8)).isEmpty();
        assertThat(ascii(r, 40044, 8)).isNotEmpty();
        assertThat(ascii(r, 40052, 16)).isEqualTo("split");
        assertThat(r.get(40068)).as("DA").isEqualTo(1);
        assertThat(r.get(40069)).as("Pad").isEqualTo(0x8000);
        assertThat(r.get(40070)).isEqualTo(202);
        assertThat(r.get(40071)).isEqualTo(105);
        assertThat(r.get(40177)).isEqualTo(0xFFFF);
        assertThat(r.get(40178)).isZero();

        // model 202, every point
        near(scaled(r, 40072, 40076), 100, "A");
        near(scaled(r, 40073, 40076), 50, "AphA");
        near(scaled(r, 40074, 40076), 50, "AphB");
        assertThat(r.get(40075)).as("AphC").isZero();
        near(scaled(r, 40077, 40085), 120, "PhV");
        near(scaled(r, 40078, 40085), 120, "PhVphA");
        near(scaled(r, 40079, 40085), 120, "PhVphB");
        assertThat(r.get(40080)).as("PhVphC").isEqualTo(0x8000);
        near(scaled(r, 40081, 40085), 240, "PPV");
        near(scaled(r, 40082, 40085), 240, "PhVphAB");
        assertThat(r.get(40083)).as("PhVphBC").isEqualTo(0x8000);
        assertThat(r.get(40084)).as("PhVphCA").isEqualTo(0x8000);
        near(scaled(r, 40086, 40087), 60, "Hz");
        near(scaled(r, 40088, 40092), 6000, "W");
        near(scaled(r, 40089, 40092), 3000, "WphA");
        near(scaled(r, 40090, 40092), 3000, "WphB");
        assertThat(r.get(40091)).as("WphC").isEqualTo(0x8000);
        near(scaled(r, 40093, 40097), 12000, "VA");
        near(scaled(r, 40094, 40097), 6000, "VAphA");
        near(scaled(r, 40095, 40097), 6000, "VAphB");
        assertThat(r.get(40096)).as("VAphC").isEqualTo(0x8000);
        near(scaled(r, 40098, 40102), 2 * Q, "VAR");
        near(scaled(r, 40099, 40102), Q, "VARphA");
        near(scaled(r, 40100, 40102), Q, "VARphB");
        assertThat(r.get(40101)).as("VARphC").isEqualTo(0x8000);
        near(scaled(r, 40103, 40107), 50, "PF %");
        near(scaled(r, 40104, 40107), 50, "PFphA %");
        near(scaled(r, 40105, 40107), 50, "PFphB %");
        assertThat(r.get(40106)).as("PFphC").isEqualTo(0x8000);
        int whSf = (short) (int) r.get(40124);
        assertThat(whSf).as("TotWh_SF").isZero();
        assertThat(acc32(r, 40108)).as("TotWhExp").isZero();
        assertThat(acc32(r, 40110)).as("TotWhExpPhA").isZero();
        assertThat(acc32(r, 40112)).as("TotWhExpPhB").isZero();
        assertThat(acc32(r, 40114)).as("TotWhExpPhC").isZero();
        long imp = acc32(r, 40116);
        long impA = acc32(r, 40118);
        long impB = acc32(r, 40120);
        assertThat(imp).as("TotWhImp").isPositive();
        // whole Wh of each register: the total and the sum of the phases differ by less than 2 Wh
        assertThat(Math.abs(imp - impA - impB)).as("TotWhImp vs phases").isLessThanOrEqualTo(2);
        assertThat(Math.abs(impA - impB)).as("equal loads").isLessThanOrEqualTo(Math.max(2, imp / 100));
        assertThat(acc32(r, 40122)).as("TotWhImpPhC").isZero();
        for (int a = 40125; a <= 40140; a++) {
            assertThat(r.get(a)).as("TotVAh %d", a).isZero();
        }
        assertThat(r.get(40141)).as("TotVAh_SF").isEqualTo(0x8000);
        for (int a = 40142; a <= 40173; a++) {
            assertThat(r.get(a)).as("TotVArh %d", a).isZero();
        }
        assertThat(r.get(40174)).as("TotVArh_SF").isEqualTo(0x8000);
        assertThat(acc32(r, 40175)).as("Evt").isZero();

        // energy only grows, read after read (the durable register, saved about once a second)
        long last = imp;
        for (int k = 0; k < 6; k++) {
            Thread.sleep(500);
            long now = acc32(holding(1, 40116, 2), 40116);
            assertThat(now).as("TotWhImp never goes down").isGreaterThanOrEqualTo(last);
            last = now;
        }
        assertThat(last).as("and it grows").isGreaterThan(imp);

        // the 1-element 50 Hz meter on unit 7: model 201
        Map<Integer, Integer> s = holding(7, 40000, 179);
        assertThat(ascii(s, 40052, 16)).isEqualTo("single");
        assertThat(ascii(s, 40020, 16)).isEqualTo("Mini Meter 1-element 100 A 50 Hz");
        assertThat(s.get(40068)).as("DA").isEqualTo(7);
        assertThat(s.get(40070)).isEqualTo(201);
        assertThat(s.get(40071)).isEqualTo(105);
        near(scaled(s, 40072, 40076), 20, "A");
        near(scaled(s, 40073, 40076), 20, "AphA");
        assertThat(s.get(40074)).as("AphB").isEqualTo(0x8000);
        near(scaled(s, 40077, 40085), 240, "PhV");
        near(scaled(s, 40078, 40085), 240, "PhVphA");
        assertThat(s.get(40081)).as("PPV").isEqualTo(0x8000);
        near(scaled(s, 40086, 40087), 50, "Hz");
        near(scaled(s, 40088, 40092), 4800, "W");
        near(scaled(s, 40089, 40092), 4800, "WphA");
        assertThat(s.get(40090)).as("WphB").isEqualTo(0x8000);
        near(scaled(s, 40093, 40097), 4800, "VA");
        assertThat(Math.abs((short) (int) s.get(40098))).as("VAR, no more than noise").isLessThanOrEqualTo(3);
        near(scaled(s, 40103, 40107), 100, "PF %");
        assertThat(acc32(s, 40116)).as("TotWhImp").isPositive();
        assertThat(acc32(s, 40116)).as("TotWhImpPhA").isEqualTo(acc32(s, 40118));
        assertThat(s.get(40177)).isEqualTo(0xFFFF);

        // exception codes, as libmodbus reports them
        assertThat(mbpoll("-a", "1", "-t", "4", "-r", "40100", "--", "123").err()).as("write single")
                .contains("Illegal function");
        assertThat(mbpoll("-a", "1", "-t", "4", "-r", "40100", "--", "1", "2").err()).as("write multiple")
                .contains("Illegal function");
        assertThat(mbpoll("-a", "1", "-t", "0", "-r", "0", "--", "1").err()).as("write coil")
                .contains("Illegal function");
        assertThat(mbpoll("-a", "1", "-t", "3", "-r", "40000", "-c", "2").err()).as("input registers")
                .contains("Illegal function");
        assertThat(mbpoll("-a", "1", "-t", "4", "-r", "0", "-c", "2").err()).as("below the map")
                .contains("Illegal data address");
        assertThat(mbpoll("-a", "1", "-t", "4", "-r", "40170", "-c", "10").err()).as("past the end model")
                .contains("Illegal data address");
        assertThat(mbpoll("-a", "99", "-t", "4", "-r", "40000", "-c", "2").err()).as("no meter has unit 99")
                .contains("Gateway path unavailable");
        // and the meters still answer
        assertThat(mbpoll("-a", "7", "-t", "4", "-r", "40070", "-c", "1").ok()).isTrue();
        assertThat(log()).doesNotContain("digitalpetri", "[c.d.m.");
    }

    @Test
    void sdm_floatsAtTheEastronAddresses_decodeToTheSimulatedMeter() throws Exception {
        start("sdm");
        Map<Integer, Double> f = floats(1, 0x0000, 38); // 0x0000-0x004B
        near(f.get(0x0000), 120, "V L1");
        near(f.get(0x0002), 120, "V L2");
        assertThat(f.get(0x0004)).as("V L3").isZero();
        near(f.get(0x0006), 50, "A L1");
        near(f.get(0x0008), 50, "A L2");
        near(f.get(0x000C), 3000, "W L1");
        near(f.get(0x000E), 3000, "W L2");
        near(f.get(0x0012), 6000, "VA L1");
        near(f.get(0x0018), Q, "var L1");
        near(f.get(0x001A), Q, "var L2");
        near(f.get(0x001E), 0.5, "PF L1");
        near(f.get(0x0020), 0.5, "PF L2");
        near(f.get(0x0024), 60, "angle L1");
        near(f.get(0x002A), 120, "average V");
        near(f.get(0x002E), 50, "average A");
        near(f.get(0x0030), 100, "sum of A");
        near(f.get(0x0034), 6000, "total W");
        near(f.get(0x0038), 12000, "total VA");
        near(f.get(0x003C), 2 * Q, "total var");
        near(f.get(0x003E), 0.5, "total PF");
        near(f.get(0x0046), 60, "Hz");
        double imported = f.get(0x0048);
        assertThat(imported).as("import kWh").isPositive();
        assertThat(f.get(0x004A)).as("export kWh").isZero();
        Map<Integer, Double> e = floats(1, 0x0156, 10); // 0x0156-0x0169
        assertThat(e.get(0x0156)).as("total kWh").isGreaterThanOrEqualTo(imported);
        assertThat(e.get(0x015A) + e.get(0x015C)).as("L1 + L2 import").isCloseTo(e.get(0x0156), within(0.003));
        assertThat(e.get(0x0160)).as("L1 export").isZero();

        Map<Integer, Double> s = floats(7, 0x0000, 38);
        near(s.get(0x0000), 240, "single V");
        near(s.get(0x0006), 20, "single A");
        near(s.get(0x000C), 4800, "single W");
        assertThat(s.get(0x0002)).as("no L2").isZero();
        near(s.get(0x0046), 50, "single Hz");

        assertThat(mbpoll("-a", "1", "-t", "4", "-r", "0", "-c", "2").err()).as("holding registers")
                .contains("Illegal function");
        assertThat(mbpoll("-a", "1", "-t", "3", "-r", "364", "-c", "2").err()).as("past 0x016B")
                .contains("Illegal data address");
        assertThat(mbpoll("-a", "1", "-t", "4", "-r", "0", "--", "1").err()).as("write").contains("Illegal function");
        assertThat(mbpoll("-a", "2", "-t", "3", "-r", "0", "-c", "2").err()).as("unit 2 unused")
                .contains("Gateway path unavailable");
        assertThat(log()).doesNotContain("digitalpetri", "[c.d.m.");
    }

    @Test
    void badModbusValues_stopStartUpWithOneLineEach_andNothingStarted() throws Exception {
        PackagedGateway.writeConfig(work,
                "mqtt.port=" + freePort(), "storage.dir=" + work.resolve("data"), "quarkus.http.port=0",
                "meters.a.elements=1", "meters.b.elements=1",
                "meters.a.modbus.unit-id=5", "meters.b.modbus.unit-id=5",
                "modbus.enabled=true", "modbus.map=sunspec202", "modbus.port=" + freePort());
        assertThat(PackagedGateway.refusedStartUp(work)).contains(
                "modbus.map=sunspec202 is not allowed: allowed sunspec or sdm",
                "meters.b.modbus.unit-id=5 is not allowed: allowed a unit id not already used by"
                        + " meters.a.modbus.unit-id")
                .doesNotContain("Exception");
        assertThat(work.resolve("data")).doesNotExist();
    }
}
