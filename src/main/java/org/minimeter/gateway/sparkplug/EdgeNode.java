package org.minimeter.gateway.sparkplug;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jboss.logging.Logger;
import org.minimeter.gateway.persistence.Outbox;

/**
 * The gateway as a Sparkplug B 3.0 edge node, each meter a device. The session logic is here;
 * payloads go through {@link SparkplugCodec} (Eclipse Tahu), the MQTT session through a
 * {@link Transport}.
 *
 * <h2>States</h2>
 * <pre>
 *   OFFLINE --connected, no primary host configured, or its STATE says online--> ONLINE
 *   OFFLINE --connected, primary host not (yet) online--> WAITING_FOR_HOST
 *   WAITING_FOR_HOST --STATE online=true, not older than the last one--> ONLINE
 *   ONLINE --NCMD Node Control/Rebirth=true--> ONLINE (NBIRTH seq 0, same bdSeq, every DBIRTH)
 *   ONLINE --STATE online=false, not older--> NDEATH, DISCONNECT, connect again --> OFFLINE
 *   any --connection lost--> OFFLINE (the broker publishes the NDEATH will)
 * </pre>
 * Entering ONLINE publishes the NBIRTH (seq 0, the bdSeq of this CONNECT's will) then a DBIRTH
 * for every available meter, then the history recorded while offline. While ONLINE, every
 * {@code scanInterval} each meter's snapshot is compared with what was last reported: DDATA with
 * the metrics past their deadband, DDEATH when its source fails, DBIRTH when it returns. The
 * meters are spread over the interval in slices of about {@value #SLICE_MS} ms (a thousand
 * meters: 50 every 50 ms), so their DDATA never queue behind a thousand others at the broker.
 * While not ONLINE, every {@code storeInterval} the same comparison is recorded on disk (an
 * {@link Outbox} under {@code <dir>/outbox}, bounded, oldest dropped first) and sent after the
 * next births as DDATA flagged {@code is_historical}, in order, with their original timestamps.
 *
 * <p>Threads: one, {@code sparkplug}. Transport events are handed to it, so seq order is publish
 * order; it reads the meters' snapshots (volatile references), never the sampling threads' state.
 */
public final class EdgeNode {

    private static final Logger LOG = Logger.getLogger(EdgeNode.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Historical DDATA sent per scan after an outage, before that scan's live data. */
    static final int DRAIN_PER_SCAN = 2000;
    /** The scan interval is cut into slices of about this long, each for its share of the meters. */
    static final long SLICE_MS = 50;

    public enum State {
        OFFLINE, WAITING_FOR_HOST, ONLINE
    }

    /**
     * @param state where the session is
     * @param bdSeq the bdSeq of the latest CONNECT, -1 before the first
     * @param messages Sparkplug messages handed to the session (births, data, deaths)
     * @param historical of which historical DDATA
     * @param stored history records written while offline
     * @param historyDepth history records waiting on disk
     * @param historyDropped records dropped by the bound, or unreadable, since start
     * @param longestScanNanos the longest slice of a scan so far (its meters read, compared, encoded and
     *     handed over; a scan is cut into slices of about 50 ms, each for its share of the meters)
     */
    public record Stats(State state, int bdSeq, long messages, long historical, long stored, long historyDepth,
            long historyDropped, long longestScanNanos) {
    }

    private static final class Device {
        final String id;
        final int number;
        final String dbirth;
        final String ddata;
        final String ddeath;
        MetricCatalog catalog;
        Object[] last;
        boolean born;

        Device(String id, int number, EdgeNodeSettings s) {
            this.id = id;
            this.number = number;
            this.dbirth = s.deviceTopic("DBIRTH", id);
            this.ddata = s.deviceTopic("DDATA", id);
            this.ddeath = s.deviceTopic("DDEATH", id);
        }
    }

    private final EdgeNodeSettings settings;
    private final List<Device> devices = new ArrayList<>();
    private final Map<String, Device> byDataTopic = new HashMap<>();
    private final Function<String, Optional<DeviceView>> views;
    private final Transport transport;
    private final BdSeqStore bdSeqs;
    private final Outbox history;
    private final Clock wall;
    private final String version;
    private final SparkplugCodec codec = new SparkplugCodec();
    private final SparkplugCodec willCodec = new SparkplugCodec();
    private final Map<String, String> failures = new LinkedHashMap<>();
    private ScheduledExecutorService executor;

    // --- the sparkplug thread's
    private State state = State.OFFLINE;
    private int seq;
    private int sessionBdSeq = -1;
    private boolean hostOnline;
    private long hostTimestamp = Long.MIN_VALUE;
    private long lastStored = Long.MIN_VALUE;
    private boolean dcmdLogged;
    private final int slices;
    private int nextSlice;

    // --- read by stats()
    private volatile State shown = State.OFFLINE;
    private volatile int willBdSeq = -1;
    private volatile long messages;
    private volatile long historical;
    private volatile long stored;
    private volatile long unreadable;
    private volatile long longestScan;

    /**
     * @param meterIds the devices, in the order that numbers them (1, 2, ...) and so their aliases
     * @param views a meter by id, looked up at every scan (a meter may be replaced at run time)
     * @param dir {@code <storage.dir>/sparkplug}: the bdSeq file and the history outbox
     * @throws org.minimeter.gateway.persistence.StorageException if the history cannot be opened
     *     (another gateway holds it, or the disk refuses)
     */
    public EdgeNode(EdgeNodeSettings settings, List<String> meterIds, Function<String, Optional<DeviceView>> views,
            Transport transport, Path dir, Clock wall, String version) {
        this.settings = settings;
        this.views = views;
        this.transport = transport;
        this.wall = wall;
        this.version = version;
        int n = 0;
        for (String id : meterIds) {
            Device d = new Device(id, ++n, settings);
            devices.add(d);
            byDataTopic.put(d.ddata, d);
        }
        this.slices = (int) Math.max(1, Math.min(devices.size(), settings.scanInterval().toMillis() / SLICE_MS));
        this.bdSeqs = new BdSeqStore(dir);
        this.history = new Outbox(dir.resolve("outbox"), settings.storeMaxBytes());
    }

    /** The NDEATH topic: the will of every CONNECT. */
    public String willTopic() {
        return settings.nodeTopic("NDEATH");
    }

    /** NCMD, DCMD of every device, and the primary host's STATE when one is configured. */
    public List<String> subscriptions() {
        List<String> s = new ArrayList<>();
        s.add(settings.nodeTopic("NCMD"));
        s.add(settings.nodeTopic("DCMD") + "/+");
        settings.stateTopic().ifPresent(s::add);
        return s;
    }

    /** Starts the session and the scans on the {@code sparkplug} thread. */
    public void start() {
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sparkplug");
            t.setDaemon(true);
            return t;
        });
        long depth = history.stats().depth();
        if (depth > 0) {
            LOG.infof("Sparkplug: %d history record(s) from before wait on disk; they follow the next births", depth);
        }
        transport.start(willTopic(), subscriptions(), events());
        // Each meter once per scan interval, but the meters spread over it in slices of about
        // 50 ms: a thousand DDATA in one burst would queue behind each other at the broker.
        long ms = settings.scanInterval().toMillis();
        long tick = Math.max(1, ms / slices);
        executor.scheduleAtFixedRate(() -> run("scan", this::tick), tick, tick, TimeUnit.MILLISECONDS);
    }

    /** What the transport reports, handed to the {@code sparkplug} thread. */
    Transport.Events events() {
        return new Transport.Events() {
            @Override
            public byte[] nextWill() {
                int b = bdSeqs.next();
                willBdSeq = b;
                return willCodec.ndeath(b, wall.millis());
            }

            @Override
            public void connected() {
                int b = willBdSeq;
                post("connect", () -> onConnected(b));
            }

            @Override
            public void disconnected(String reason) {
                post("disconnect", () -> onDisconnected(reason));
            }

            @Override
            public void message(String topic, byte[] payload) {
                post("message", () -> onMessage(topic, payload));
            }
        };
    }

    public Stats stats() {
        Outbox.Stats h = history.stats();
        return new Stats(shown, willBdSeq, messages, historical, stored, h.depth(), h.dropped() + unreadable,
                longestScan);
    }

    /** Starts counting the longest scan again (a benchmark's warm-up is over). */
    public void resetLongestScan() {
        longestScan = 0;
    }

    /**
     * Clean stop: the scans end, then NDEATH and DISCONNECT (or, on MQTT 5, DISCONNECT with the
     * will), and the history is closed with what it holds.
     */
    public void stop() {
        if (executor != null) {
            executor.shutdown();
            try {
                executor.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        int b = sessionBdSeq >= 0 ? sessionBdSeq : willBdSeq;
        try {
            transport.close(willCodec.ndeath(Math.max(b, 0), wall.millis()));
        } finally {
            try {
                history.sync();
            } finally {
                history.close();
            }
        }
        state = State.OFFLINE;
        shown = state;
    }

    // --- the sparkplug thread

    private void post(String what, Runnable task) {
        ScheduledExecutorService e = executor;
        if (e == null) {
            run(what, task); // driven directly (tests)
            return;
        }
        try {
            e.execute(() -> run(what, task));
        } catch (RejectedExecutionException stopping) {
            // stopping: the session is being closed
        }
    }

    /** Runs a task, logging a failure once per cause (and once when it works again). */
    private void run(String what, Runnable task) {
        try {
            task.run();
            if (failures.remove(what) != null) {
                LOG.infof("Sparkplug: %s works again", what);
            }
        } catch (RuntimeException e) {
            String cause = String.valueOf(e);
            if (!cause.equals(failures.put(what, cause))) {
                LOG.errorf(e, "Sparkplug: %s failed; it is tried again, and this cause is not logged again", what);
            }
        }
    }

    void onConnected(int bdSeq) {
        sessionBdSeq = bdSeq;
        if (settings.primaryHostId().isPresent() && !hostOnline) {
            setState(State.WAITING_FOR_HOST);
            LOG.infof("Sparkplug: connected (bdSeq %d); waiting for primary host %s to be online before the births",
                    bdSeq, settings.primaryHostId().get());
            return;
        }
        births("connected");
    }

    void onDisconnected(String reason) {
        if (state != State.OFFLINE) {
            LOG.warnf("Sparkplug: edge node %s/%s offline (%s); changes are recorded every %s for after the"
                    + " next births", settings.groupId(), settings.edgeNodeId(), reason, seconds(settings.storeInterval()));
        }
        goOffline();
    }

    private void goOffline() {
        setState(State.OFFLINE);
        hostOnline = false;
        for (Device d : devices) {
            d.born = false;
        }
        lastStored = Long.MIN_VALUE;
    }

    void onMessage(String topic, byte[] payload) {
        if (settings.stateTopic().map(topic::equals).orElse(false)) {
            onState(payload);
        } else if (topic.equals(settings.nodeTopic("NCMD"))) {
            onNodeCommand(payload);
        } else if (!dcmdLogged) {
            dcmdLogged = true;
            LOG.infof("Sparkplug: %s ignored: meters take no commands (read-only)", topic);
        }
    }

    private void onNodeCommand(byte[] payload) {
        boolean rebirth;
        try {
            rebirth = SparkplugCodec.isRebirth(payload);
        } catch (IllegalArgumentException e) {
            LOG.warnf("Sparkplug: an NCMD that is not a Sparkplug B payload was ignored (%s)", e.getMessage());
            return;
        }
        if (!rebirth) {
            LOG.infof("Sparkplug: NCMD without Node Control/Rebirth=true ignored");
        } else if (state == State.ONLINE) {
            births("rebirth requested by NCMD");
        } else {
            LOG.infof("Sparkplug: rebirth requested while %s; the births follow when online", state);
        }
    }

    /**
     * Sparkplug 3.0 STATE: {@code {"online":true|false,"timestamp":<ms>}}, retained. One older than
     * the latest seen is stale (a retained message from before) and ignored. The 2.2 form, the
     * plain strings ONLINE and OFFLINE, is understood too.
     */
    private void onState(byte[] payload) {
        String text = new String(payload, StandardCharsets.UTF_8).trim();
        boolean online;
        long ts;
        try {
            if (text.equalsIgnoreCase("ONLINE") || text.equalsIgnoreCase("OFFLINE")) {
                online = text.equalsIgnoreCase("ONLINE");
                ts = Math.max(hostTimestamp, 0);
            } else {
                JsonNode n = JSON.readTree(text);
                if (n == null || !n.path("online").isBoolean()) {
                    throw new IllegalArgumentException("no boolean 'online'");
                }
                online = n.get("online").asBoolean();
                ts = n.path("timestamp").canConvertToLong() ? n.get("timestamp").asLong() : Math.max(hostTimestamp, 0);
            }
        } catch (Exception e) {
            LOG.warnf("Sparkplug: a STATE message that is not Sparkplug 3.0 JSON was ignored: %s", text);
            return;
        }
        if (ts < hostTimestamp) {
            LOG.debugf("Sparkplug: STATE of %d is older than %d; ignored", ts, hostTimestamp);
            return;
        }
        hostTimestamp = ts;
        if (online) {
            hostOnline = true;
            if (state == State.WAITING_FOR_HOST) {
                births("primary host " + settings.primaryHostId().orElse("") + " online");
            }
            return;
        }
        hostOnline = false;
        if (state == State.ONLINE) {
            LOG.warnf("Sparkplug: primary host %s is offline; NDEATH, disconnect and connect again",
                    settings.primaryHostId().orElse(""));
            goOffline();
            transport.restart(codec.ndeath(sessionBdSeq, wall.millis()));
        }
    }

    /** NBIRTH (seq 0), a DBIRTH per available meter, then the history recorded while offline. */
    private void births(String why) {
        long now = wall.millis();
        seq = 0;
        takeSeq(); // the NBIRTH's seq, 0
        send(settings.nodeTopic("NBIRTH"), codec.nbirth(now, sessionBdSeq, devices.size(), version));
        setState(State.ONLINE);
        int born = 0;
        for (Device d : devices) {
            d.born = false;
            if (live(d, now)) {
                born++;
            }
        }
        LOG.infof("Sparkplug: edge node %s/%s online (%s): NBIRTH bdSeq %d, %d of %d meter(s) born",
                settings.groupId(), settings.edgeNodeId(), why, sessionBdSeq, born, devices.size());
        drainHistory(now);
    }

    /** One whole scan at once: every meter (the scheduler spreads the same work in {@link #tick}s). */
    void scan() {
        for (int k = 0; k < slices; k++) {
            tick();
        }
    }

    /**
     * One slice of a scan: live data for its share of the meters when online (the history first,
     * at the start of each scan), history when not.
     */
    void tick() {
        long now = wall.millis();
        int slice = nextSlice;
        nextSlice = (nextSlice + 1) % slices;
        if (state == State.ONLINE) {
            long t0 = System.nanoTime();
            if (slice == 0) {
                drainHistory(now);
            }
            int n = devices.size();
            for (int i = slice * n / slices; i < (slice + 1) * n / slices; i++) {
                live(devices.get(i), now);
            }
            longestScan = Math.max(longestScan, System.nanoTime() - t0);
        } else if (lastStored == Long.MIN_VALUE || now - lastStored >= settings.storeInterval().toMillis()) {
            lastStored = now;
            store(now);
        }
    }

    /** DDEATH, DBIRTH or DDATA for one meter as its snapshot requires; true if it is born after. */
    private boolean live(Device d, long now) {
        Optional<DeviceView> v = views.apply(d.id);
        if (v.isEmpty() || !v.get().available()) {
            if (d.born) {
                d.born = false;
                send(d.ddeath, codec.ddeath(now, takeSeq()));
                LOG.infof("Sparkplug: DDEATH %s (its source has failed)", d.id);
            }
            return false;
        }
        MetricCatalog c = catalog(d, v.get());
        // Stamped when read (the metrics) and when encoded (the payload): within a millisecond of
        // each other, and later in the scan for the later meters.
        long read = wall.millis();
        Object[] values = c.read(v.get());
        if (!d.born) {
            send(d.dbirth, codec.dbirth(read, takeSeq(), d.number, c, values));
            d.last = values;
            d.born = true;
            return true;
        }
        int[] changed = c.changes(d.last, values, settings);
        if (changed.length > 0) {
            send(d.ddata, codec.ddata(wall.millis(), takeSeq(), d.number, c, changed, values, read, false));
            for (int i : changed) {
                d.last[i] = values[i];
            }
        }
        return true;
    }

    private MetricCatalog catalog(Device d, DeviceView v) {
        if (d.catalog == null || d.catalog.elements() != v.elements()) {
            d.catalog = MetricCatalog.forElements(v.elements());
            d.last = null;
            d.born = false;
        }
        return d.catalog;
    }

    /** While offline: each meter's changes since it was last reported or recorded, to disk. */
    private void store(long now) {
        List<Outbox.Message> batch = new ArrayList<>();
        for (Device d : devices) {
            Optional<DeviceView> v = views.apply(d.id);
            if (v.isEmpty() || !v.get().available()) {
                continue;
            }
            MetricCatalog c = catalog(d, v.get());
            Object[] values = c.read(v.get());
            int[] changed = c.changes(d.last, values, settings);
            if (changed.length == 0) {
                continue;
            }
            Object[] picked = new Object[changed.length];
            for (int k = 0; k < changed.length; k++) {
                picked[k] = values[changed[k]];
            }
            if (d.last == null) {
                d.last = values;
            } else {
                for (int i : changed) {
                    d.last[i] = values[i];
                }
            }
            // ENERGY: at the bound the outbox drops a topic's oldest record first while a newer one of it waits.
            batch.add(Outbox.Message.of(Outbox.Kind.ENERGY, d.ddata, new HistoryRecord(now, changed, picked).encode(),
                    0, false));
        }
        if (!batch.isEmpty()) {
            history.appendLater(batch);
            history.sync();
            stored += batch.size();
        }
    }

    /** Sends what was recorded while offline, oldest first, as historical DDATA of born meters. */
    private void drainHistory(long now) {
        if (history.stats().depth() == 0) {
            return;
        }
        int sent = 0;
        for (Outbox.Message m : history.peek(DRAIN_PER_SCAN)) {
            if (!transport.isConnected()) {
                break;
            }
            Device d = byDataTopic.get(m.topic());
            HistoryRecord r;
            try {
                r = HistoryRecord.decode(m.payload());
            } catch (IllegalArgumentException e) {
                r = null;
            }
            if (d == null || r == null || (d.catalog != null && !fits(r, d.catalog))) {
                // a meter no longer configured, or a record this version cannot read
                history.acknowledge(m.seq());
                unreadable++;
                continue;
            }
            if (!d.born) {
                continue; // waits for its meter's DBIRTH: DDATA never precedes it
            }
            send(d.ddata, codec.ddata(now, takeSeq(), d.number, d.catalog, r.indexes(),
                    r.byIndex(d.catalog.size()), r.sampled(), true));
            history.acknowledge(m.seq());
            historical++;
            sent++;
        }
        if (sent > 0 && history.stats().depth() == 0) {
            LOG.infof("Sparkplug: history recorded while offline sent (%d historical DDATA in all so far)", historical);
        }
    }

    private static boolean fits(HistoryRecord r, MetricCatalog c) {
        for (int i : r.indexes()) {
            if (i >= c.size()) {
                return false;
            }
        }
        return true;
    }

    private int takeSeq() {
        int s = seq;
        seq = (seq + 1) & 0xFF;
        return s;
    }

    private void send(String topic, byte[] payload) {
        transport.publish(topic, payload);
        messages++;
    }

    private void setState(State s) {
        state = s;
        shown = s;
    }

    State state() {
        return state;
    }

    private static String seconds(java.time.Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
